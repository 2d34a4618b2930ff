"""shearlet-l1 rule re-validated with ct.reconstruct's final defaults (ADMM to its stopping rule, at most
500 iterations) on phantoms not used in the fit, bench/RESULTS.md: 128 x 128, angles -60..60, 1 % noise.

    .venv/bin/python bench/ct_rules_shearlet.py
"""
import numpy as np
import math
import warnings
from fastshear import ct, phantoms
warnings.simplefilter("ignore")
n=128; theta=np.arange(-60,61,1.0)
for name,e in (("ellipses seed 20",phantoms.random_ellipses((n,n),seed=20)),("Shepp-Logan",phantoms.shepp_logan_ellipses((n,n)))):
    gt=phantoms.ellipse_image(e,(n,n)); g=phantoms.ellipse_sinogram(e,theta,n)
    g=g+0.01*np.sqrt(np.mean(g**2))*np.random.default_rng(7).standard_normal(g.shape); s=ct.estimate_noise(g)*math.sqrt(theta.size)
    out=[]
    for k in (0.25,0.5,1,2,4):
        x,i=ct.reconstruct(g,theta,(n,n),"shearlet-l1",lam=k*ct.SHEARLET_FACTOR*s,return_info=True)
        out.append(f"{ct.metrics(x,gt)['psnr']:.2f}({i['iterations']},{'c' if i['converged'] else 'l'})")
    print(name, "fbp %.2f sirt %.2f" % (ct.metrics(ct.reconstruct(g,theta,(n,n),"fbp"),gt)["psnr"], ct.metrics(ct.reconstruct(g,theta,(n,n),"sirt"),gt)["psnr"]), out, flush=True)
