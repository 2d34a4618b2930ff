// Internal to the Radon transform's sources (radon.cpp: the plan, the dispatch and the portable
// kernels; radon_avx512.cpp: the AVX-512 kernels; radon_fbp.cpp: filtered backprojection): the
// pixel-to-detector geometry the portable kernels and FBP share. Not part of the core's interface.
#pragma once

#include <algorithm>
#include <cmath>

#include "fastshear/radon.hpp"

namespace fastshear {
namespace radon_detail {

// The footprint weights of one pixel projected to u (in bins) with width F (in bins): calls
// f(k, w) for every bin k in [0, n) it overlaps.
template <typename F_> inline void footprint(double u, double F, int n, F_&& f) {
    const double h = 0.5 * F, lo = u - h, hi = u + h, invF = 1.0 / F;
    // clamp in double before converting: a wide footprint (a tiny det_spacing) or a far
    // projection puts these bounds far outside int's range (float-to-int overflow is UB)
    const double f0 = std::ceil(lo - 0.5), f1 = std::floor(hi + 0.5);
    if (!(f0 <= n - 1) || !(f1 >= 0)) return;  // also false for NaN
    const int k0 = f0 < 0 ? 0 : static_cast<int>(f0);
    const int k1 = f1 > n - 1 ? n - 1 : static_cast<int>(f1);
    for (int k = k0; k <= k1; ++k) {
        const double w = std::min(hi, k + 0.5) - std::max(lo, k - 0.5);
        if (w > 0) f(k, w * invF);
    }
}

struct Frame {
    double cx, cy, cdet, d, ds, dd;
    bool fan;
    // detector position u (bins), footprint width F (bins), line-integral scale, FBP weight
    inline void project(double c, double s, double X, double Y, double& u, double& F, double& sc) const {
        const double sp = X * c + Y * s;
        if (!fan) {
            u = sp / d + cdet;
            F = 1.0 / d;
            sc = 1.0 / d;
        } else {
            const double t = -X * s + Y * c, D = ds + t, mag = (ds + dd) / D;
            u = sp * mag / d + cdet;
            F = mag / d;
            sc = (ds + dd) * std::sqrt(D * D + sp * sp) / (d * D * D);
        }
    }
    inline double interp_pos(double c, double s, double X, double Y, double& wt) const {
        const double sp = X * c + Y * s;
        if (!fan) {
            wt = 1.0;
            return sp / d + cdet;
        }
        const double t = -X * s + Y * c, D = ds + t;
        wt = ds * ds / (D * D);
        return sp * (ds + dd) / (D * d) + cdet;
    }
};

inline Frame frame_of(const RadonGeometry& g) {
    return Frame{static_cast<double>(g.cols / 2),
                 static_cast<double>(g.rows / 2),
                 static_cast<double>(g.n_det / 2),
                 g.det_spacing,
                 g.source_distance,
                 g.detector_distance,
                 g.fan};
}

}  // namespace radon_detail
}  // namespace fastshear
