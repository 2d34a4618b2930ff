// What this build of the core is and what it picked on this machine: the FFTW library versions,
// the CPU features that the run-time dispatch looks at, and the kernel chosen for each dispatched
// family. Used by `fastshear info` (through the bindings); no algorithm lives here.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace fastshear {

// FFTW's own version strings (fftw_version / fftwf_version of the library actually loaded).
std::string fftw_version_double();
std::string fftw_version_float();

// The target architecture the core was compiled for ("x86_64", "aarch64", ...).
std::string build_arch();

// (feature, present) for the features that the run-time dispatch tests (empty off x86-64).
std::vector<std::pair<std::string, bool>> cpu_features();

// (family, chosen kernel) for each kernel family with a run-time or compile-time choice.
std::vector<std::pair<std::string, std::string>> chosen_kernels();

}  // namespace fastshear
