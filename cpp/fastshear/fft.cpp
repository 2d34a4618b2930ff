#include "fastshear/fft.hpp"

#include "fastshear/infra/parallel.hpp"

#include <atomic>
#include <cstdlib>

namespace fastshear {

namespace {
std::mutex& planner_mutex() {
    static std::mutex m;
    return m;
}
std::atomic<int> g_effort{1};
std::atomic<long> g_created{0};

unsigned planner_flags() {
    switch (g_effort.load()) {
        case 0: return FFTW_ESTIMATE;
        case 2: return FFTW_PATIENT;
        default: return FFTW_MEASURE;
    }
}

template <typename T> struct plan_cache {
    using key =
        std::tuple<int, std::vector<int>, int, int, int, int, int>;  // kind, dims, howmany, effort, axis, idist, odist
    std::map<key, std::unique_ptr<fft_plan<T>>> plans;
    ~plan_cache() {
        // Plans are leaked at exit on purpose: FFTW may already be torn down.
        for (auto& kv : plans) kv.second.release();
    }
};

template <typename T> plan_cache<T>& cache() {
    static plan_cache<T> c;
    return c;
}
}  // namespace

void set_planner_effort(int effort) { g_effort.store(effort < 0 ? 0 : (effort > 2 ? 2 : effort)); }
int planner_effort() { return g_effort.load(); }
long plans_created() { return g_created.load(); }

bool import_wisdom(const std::string& pd, const std::string& pf) {
    std::lock_guard<std::mutex> lock(planner_mutex());
    bool a = fftw_import_wisdom_from_filename(pd.c_str()) != 0;
    bool b = fftwf_import_wisdom_from_filename(pf.c_str()) != 0;
    return a && b;
}

bool export_wisdom(const std::string& pd, const std::string& pf) {
    std::lock_guard<std::mutex> lock(planner_mutex());
    bool a = fftw_export_wisdom_to_filename(pd.c_str()) != 0;
    bool b = fftwf_export_wisdom_to_filename(pf.c_str()) != 0;
    return a && b;
}

template <typename T>
const fft_plan<T>& fft_plan<T>::get(fft_kind kind, const std::vector<int>& dims, int howmany, int idist, int odist) {
    const bool cc = kind == fft_kind::c2c_forward || kind == fft_kind::c2c_backward;
    if (!cc && (idist || odist)) throw std::invalid_argument("fft_plan::get: distances are for c2c plans");
    std::lock_guard<std::mutex> lock(planner_mutex());
    int effort = g_effort.load();
    auto k = std::make_tuple(static_cast<int>(kind), dims, howmany, effort, -1, idist, odist);
    auto& c = cache<T>();
    auto it = c.plans.find(k);
    if (it != c.plans.end()) return *it->second;

    size_t rn = 1, cn = 1;
    for (size_t i = 0; i < dims.size(); ++i) {
        rn *= static_cast<size_t>(dims[i]);
        cn *= (i + 1 == dims.size()) ? static_cast<size_t>(dims[i] / 2 + 1) : static_cast<size_t>(dims[i]);
    }
    const size_t one = rn;  // values of one transform
    if (cc) cn = rn;
    rn *= howmany;
    cn *= howmany;
    // c2c extents: the last transform's end, spaced by the distances
    if (idist <= 0) idist = static_cast<int>(one);
    if (odist <= 0) odist = static_cast<int>(one);
    const size_t cn_in = cc ? (howmany - 1) * static_cast<size_t>(idist) + one : cn;
    const size_t cn_out = cc ? (howmany - 1) * static_cast<size_t>(odist) + one : cn;
    aligned_buffer<T> rbuf(kind == fft_kind::r2c || kind == fft_kind::c2r ? rn : 1);
    aligned_buffer<std::complex<T>> cbuf(cn_in), cbuf2(cc ? cn_out : 1);
    using cx = typename traits::cpx;
    typename traits::plan p = nullptr;
    int rank = static_cast<int>(dims.size());
    unsigned flags = planner_flags();
    switch (kind) {
        case fft_kind::r2c:
            p = traits::r2c(rank, dims.data(), howmany, rbuf.data(), reinterpret_cast<cx*>(cbuf.data()), flags);
            break;
        case fft_kind::c2r:
            p = traits::c2r(rank, dims.data(), howmany, reinterpret_cast<cx*>(cbuf.data()), rbuf.data(), flags);
            break;
        case fft_kind::c2c_forward:
        case fft_kind::c2c_backward:
            p = traits::c2c(rank, dims.data(), howmany, reinterpret_cast<cx*>(cbuf.data()), idist,
                            reinterpret_cast<cx*>(cbuf2.data()), odist,
                            kind == fft_kind::c2c_forward ? FFTW_FORWARD : FFTW_BACKWARD, flags);
            break;
    }
    if (!p) throw std::runtime_error("FFTW could not create a plan");
    ++g_created;
    int ra = traits::alignment_of(rbuf.data());
    int ca = traits::alignment_of(reinterpret_cast<T*>(cbuf.data()));
    auto ptr = std::make_unique<fft_plan<T>>(p, rn, cc ? cn_in : cn, ra, ca, cc ? cn_out : 0);
    auto& ref = *ptr;
    c.plans.emplace(k, std::move(ptr));
    return ref;
}

template <typename T> const fft_plan<T>& fft_plan<T>::get_axis(fft_kind kind, const std::vector<int>& dims, int axis) {
    const int rank = static_cast<int>(dims.size());
    if (kind != fft_kind::c2c_forward && kind != fft_kind::c2c_backward)
        throw std::invalid_argument("fft_plan::get_axis: complex transforms only");
    if (axis < 0 || axis >= rank) throw std::invalid_argument("fft_plan::get_axis: bad axis");
    std::lock_guard<std::mutex> lock(planner_mutex());
    int effort = g_effort.load();
    auto k = std::make_tuple(static_cast<int>(kind), dims, 1, effort, axis, 0, 0);
    auto& c = cache<T>();
    auto it = c.plans.find(k);
    if (it != c.plans.end()) return *it->second;

    // the transform along `axis`, looping over the other axes (C-order strides)
    using iodim = typename traits::iodim;
    std::vector<int> stride(rank);
    size_t n = 1;
    for (int i = rank - 1; i >= 0; --i) {
        stride[i] = static_cast<int>(n);
        n *= static_cast<size_t>(dims[i]);
    }
    std::vector<iodim> loops;
    for (int i = 0; i < rank; ++i)
        if (i != axis) loops.push_back(iodim{dims[i], stride[i], stride[i]});
    const iodim d{dims[axis], stride[axis], stride[axis]};
    aligned_buffer<std::complex<T>> buf(n);
    auto* cp = reinterpret_cast<typename traits::cpx*>(buf.data());
    typename traits::plan p =
        traits::guru_c2c(d, static_cast<int>(loops.size()), loops.data(), cp, cp,
                         kind == fft_kind::c2c_forward ? FFTW_FORWARD : FFTW_BACKWARD, planner_flags());
    if (!p) throw std::runtime_error("FFTW could not create a plan");
    ++g_created;
    auto ptr = std::make_unique<fft_plan<T>>(p, 0, n, 0, traits::alignment_of(reinterpret_cast<T*>(buf.data())));
    auto& ref = *ptr;
    c.plans.emplace(k, std::move(ptr));
    return ref;
}

template <typename T> void fft_plan<T>::r2c(const T* in, cpx* out) const {
    using cx = typename traits::cpx;
    bool in_ok = traits::alignment_of(in) == real_align_;
    bool out_ok = traits::alignment_of(reinterpret_cast<T*>(out)) == cpx_align_;
    if (in_ok && out_ok) {
        traits::exec_r2c(plan_, const_cast<T*>(in), reinterpret_cast<cx*>(out));
        return;
    }
    aligned_buffer<T> ib(in_ok ? 0 : real_n_);
    aligned_buffer<cpx> ob(out_ok ? 0 : cpx_n_);
    if (!in_ok) std::memcpy(ib.data(), in, real_n_ * sizeof(T));
    traits::exec_r2c(plan_, in_ok ? const_cast<T*>(in) : ib.data(), reinterpret_cast<cx*>(out_ok ? out : ob.data()));
    if (!out_ok) std::memcpy(out, ob.data(), cpx_n_ * sizeof(cpx));
}

template <typename T> void fft_plan<T>::c2r(cpx* in, T* out) const {
    using cx = typename traits::cpx;
    bool in_ok = traits::alignment_of(reinterpret_cast<T*>(in)) == cpx_align_;
    bool out_ok = traits::alignment_of(out) == real_align_;
    if (in_ok && out_ok) {
        traits::exec_c2r(plan_, reinterpret_cast<cx*>(in), out);
        return;
    }
    aligned_buffer<cpx> ib(in_ok ? 0 : cpx_n_);
    aligned_buffer<T> ob(out_ok ? 0 : real_n_);
    if (!in_ok) std::memcpy(ib.data(), in, cpx_n_ * sizeof(cpx));
    traits::exec_c2r(plan_, reinterpret_cast<cx*>(in_ok ? in : ib.data()), out_ok ? out : ob.data());
    if (!out_ok) std::memcpy(out, ob.data(), real_n_ * sizeof(T));
}

template <typename T> void fft_plan<T>::c2c(cpx* in, cpx* out) const {
    using cx = typename traits::cpx;
    bool in_ok = traits::alignment_of(reinterpret_cast<T*>(in)) == cpx_align_;
    bool out_ok = traits::alignment_of(reinterpret_cast<T*>(out)) == cpx_align_;
    if (in_ok && out_ok) {
        traits::exec_c2c(plan_, reinterpret_cast<cx*>(in), reinterpret_cast<cx*>(out));
        return;
    }
    if (in == out) {  // an in-place plan runs in place, so one aligned copy stands for both
        aligned_buffer<cpx> b(cpx_n_);
        std::memcpy(b.data(), in, cpx_n_ * sizeof(cpx));
        traits::exec_c2c(plan_, reinterpret_cast<cx*>(b.data()), reinterpret_cast<cx*>(b.data()));
        std::memcpy(out, b.data(), cpx_n_ * sizeof(cpx));
        return;
    }
    aligned_buffer<cpx> ib(in_ok ? 0 : cpx_n_), ob(out_ok ? 0 : cpx_out_n_);
    if (!in_ok) std::memcpy(ib.data(), in, cpx_n_ * sizeof(cpx));
    if (!out_ok) std::memcpy(ob.data(), out, cpx_out_n_ * sizeof(cpx));  // keeps the gaps between transforms
    traits::exec_c2c(plan_, reinterpret_cast<cx*>(in_ok ? in : ib.data()),
                     reinterpret_cast<cx*>(out_ok ? out : ob.data()));
    if (!out_ok) std::memcpy(out, ob.data(), cpx_out_n_ * sizeof(cpx));
}

template <typename T> void rfft2_batch(const T* x, std::complex<T>* out, size_t batch, int n, int m, int threads) {
    const auto& plan = fft_plan<T>::get(fft_kind::r2c, {n, m});
    const size_t P = static_cast<size_t>(n) * m, H = static_cast<size_t>(n) * (m / 2 + 1);
    region_errors err;
    const int nt = resolve_threads(threads, batch);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (long b = 0; b < static_cast<long>(batch); ++b) err.run([&] { plan.r2c(x + b * P, out + b * H); });
    err.rethrow();
}

template void rfft2_batch<float>(const float*, std::complex<float>*, size_t, int, int, int);
template void rfft2_batch<double>(const double*, std::complex<double>*, size_t, int, int, int);

template class fft_plan<float>;
template class fft_plan<double>;

}  // namespace fastshear
