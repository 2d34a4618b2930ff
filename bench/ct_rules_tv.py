"""TV rule, fit and validation with converged solves (ct.reconstruct defaults: ADMM to its stopping
rule), bench/RESULTS.md: training random ellipses seeds 0-2, validation ellipses seed 20 and
Shepp-Logan; 128 x 128, angles -60..60, 1 % noise.

    .venv/bin/python bench/ct_rules_tv.py
"""
import numpy as np
import math
import warnings
from fastshear import ct, phantoms
warnings.simplefilter("ignore")
n=128; theta=np.arange(-60,61,1.0)
def prob(e, seed):
    gt=phantoms.ellipse_image(e,(n,n)); g=phantoms.ellipse_sinogram(e,theta,n)
    g=g+0.01*np.sqrt(np.mean(g**2))*np.random.default_rng(seed).standard_normal(g.shape); return gt,g
print("fit (seeds 0-2, noise seeds 1000+sd):")
res={}
for sd in (0,1,2):
    gt,g=prob(phantoms.random_ellipses((n,n),seed=sd),1000+sd); s=ct.estimate_noise(g)*math.sqrt(theta.size)
    for f in (0.5,1.0,2.0,4.0):
        x,i=ct.reconstruct(g,theta,(n,n),"tv",lam=f*s,return_info=True)
        res.setdefault(f,[]).append(ct.metrics(x,gt)["psnr"]); print(sd,f,round(res[f][-1],2),i["iterations"],i["converged"],flush=True)
for f,v in res.items(): print("factor",f,np.round(v,2),"mean",round(float(np.mean(v)),2))
print("validation (factor x default):")
for name,e in (("ellipses seed 20",phantoms.random_ellipses((n,n),seed=20)),("Shepp-Logan",phantoms.shepp_logan_ellipses((n,n)))):
    gt,g=prob(e,7); s=ct.estimate_noise(g)*math.sqrt(theta.size)
    out=[]
    for k in (0.25,0.5,1,2,4):
        x,i=ct.reconstruct(g,theta,(n,n),"tv",lam=k*ct.TV_FACTOR*s,return_info=True); out.append(f"{ct.metrics(x,gt)['psnr']:.2f}({i['iterations']},{'c' if i['converged'] else 'l'})")
    print(name, out, flush=True)
