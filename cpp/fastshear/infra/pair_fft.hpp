// Two real signals through one complex FFT: the algebra every paired path of the core shares (the
// 2D shearlets' real-filter and complex-filter pairs, the 3D shearlets' paired slabs).
//
// With z = a + i b for real a, b and Z = F z, the spectra of a and b are Hermitian
// (F a(-w) = conj F a(w)), so
//   split:  F a(w) = (Z(w) + conj Z(-w)) / 2,   F b(w) = (Z(w) - conj Z(-w)) / (2i),
//   join:   Z(w) = F a(w) + i F b(w),           Z(-w) = conj F a(w) + i conj F b(w),
// the join building a full spectrum from two half spectra (for one inverse complex FFT that gives
// a + i b). Here on the real and imaginary parts, so that the engines' loops over interleaved
// arrays vectorise; each engine's loop calls these (its SIMD tiles, e.g. shearlet2d.cpp's AVX2
// tiles, compute the same expressions, in the same order, by hand).
#pragma once

namespace fastshear {

// Z(w) = A + i B:  (ar - bi, ai + br).
template <typename T> inline void pair_join(T ar, T ai, T br, T bi, T& zr, T& zi) {
    zr = ar - bi;
    zi = ai + br;
}
// Z(-w) = conj A + i conj B:  (ar + bi, br - ai).
template <typename T> inline void pair_join_conj(T ar, T ai, T br, T bi, T& zr, T& zi) {
    zr = ar + bi;
    zi = br - ai;
}
// Twice the split, from z = Z(w) and u = Z(-w): 2 F a(w) = z + conj u, 2 F b(w) = (z - conj u) / i.
// (The scale 1/2 is exact in binary floating point, so a caller may apply it after a product.)
template <typename T> inline void pair_split_2x(T zr, T zi, T ur, T ui, T& ar, T& ai, T& br, T& bi) {
    ar = zr + ur;
    ai = zi - ui;
    br = zi + ui;
    bi = ur - zr;
}
// The split: F a(w), F b(w) from z = Z(w) and u = Z(-w).
template <typename T> inline void pair_split(T zr, T zi, T ur, T ui, T& ar, T& ai, T& br, T& bi) {
    T a2r, a2i, b2r, b2i;  // in registers: each output is stored once
    pair_split_2x(zr, zi, ur, ui, a2r, a2i, b2r, b2i);
    ar = T(0.5) * a2r;
    ai = T(0.5) * a2i;
    br = T(0.5) * b2r;
    bi = T(0.5) * b2i;
}

}  // namespace fastshear
