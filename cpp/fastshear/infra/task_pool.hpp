// The core's runtime for the latency path: calls whose work is well under a few milliseconds
// (the dense network engine, DenseNet::run_chunks). Everything else runs on OpenMP
// (infra/parallel.hpp); these are the core's two runtimes, each where it is faster.
//
// A small pool of persistent threads. The calling thread takes part, and it never waits for a
// worker that has not started: an OpenMP team's closing barrier does, which on an oversubscribed
// machine costs a scheduler time slice against < 1 ms of work. A worker that wakes up late finds
// nothing left and goes back to sleep.
//
// Measured (2026-12-06, 2-core VM shared with other jobs, load average ~3.2, float32 ReLU nets,
// 2 threads, the same net called through this pool and through an OpenMP `parallel for` over
// the same chunks, interleaved, medians of 21 rounds; per call):
//   2-64x3-1, batch 512:       pool 0.128 ms, OpenMP 7.99 ms
//   16-256x4-16, batch 64:     pool 0.288 ms, OpenMP 7.99 ms;  batch 512: 3.15 ms vs 8.01 ms
//   64-512x6-256, batch 64:    pool 2.98 ms,  OpenMP 7.99 ms;  batch 512: 15.8 ms vs 16.1 ms
// Calls below heuristics::kDenseParallelMacs (batch 1 of every net above, batch 8 of the first
// two) run on the calling thread alone, in either runtime (equal times).
#pragma once
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace fastshear {

class task_pool {
  public:
    // One pool per process, never destroyed (no thread joins at exit).
    static task_pool& instance() {
        static task_pool* p = new task_pool();
        return *p;
    }

    // fn(i) for every i < n on up to `threads` threads, the caller included; rethrows the first
    // exception. Concurrent calls are fine: a call that finds the pool busy runs on its own thread.
    void run(std::size_t n, int threads, const std::function<void(std::size_t)>& fn) {
        std::unique_lock<std::mutex> busy(run_mutex_, std::defer_lock);
        if (threads <= 1 || n <= 1 || !busy.try_lock()) {
            for (std::size_t i = 0; i < n; ++i) fn(i);
            return;
        }
        auto job = std::make_shared<job_t>();
        job->fn = &fn;
        job->n = n;
        job->helpers = threads - 1;
        {
            std::lock_guard<std::mutex> lk(m_);
            while (workers_ < threads - 1 && workers_ < kMaxWorkers) {
                std::thread([this] { loop(); }).detach();
                ++workers_;
            }
            job_ = job;
            ++generation_;
        }
        cv_.notify_all();
        work(*job);
        {
            std::unique_lock<std::mutex> lk(job->m);
            job->cv.wait(lk, [&] { return job->done.load() == job->n; });
        }
        {
            std::lock_guard<std::mutex> lk(m_);
            job_.reset();
        }
        if (job->error) std::rethrow_exception(job->error);
    }

  private:
    static constexpr int kMaxWorkers = 255;

    struct job_t {
        const std::function<void(std::size_t)>* fn = nullptr;
        std::size_t n = 0;
        std::atomic<std::size_t> next{0}, done{0};
        std::atomic<int> helpers{0};
        std::mutex m;
        std::condition_variable cv;
        std::exception_ptr error;
    };

    task_pool() = default;

    static void work(job_t& j) {
        for (;;) {
            const std::size_t i = j.next.fetch_add(1);
            if (i >= j.n) return;
            try {
                (*j.fn)(i);
            } catch (...) {
                std::lock_guard<std::mutex> lk(j.m);
                if (!j.error) j.error = std::current_exception();
            }
            if (j.done.fetch_add(1) + 1 == j.n) {
                std::lock_guard<std::mutex> lk(j.m);
                j.cv.notify_all();
            }
        }
    }

    void loop() {
        std::uint64_t seen = 0;
        for (;;) {
            std::shared_ptr<job_t> job;
            {
                std::unique_lock<std::mutex> lk(m_);
                cv_.wait(lk, [&] { return generation_ != seen; });
                seen = generation_;
                job = job_;
            }
            if (job && job->helpers.fetch_sub(1) > 0) work(*job);
        }
    }

    std::mutex run_mutex_;  // one job at a time
    std::mutex m_;
    std::condition_variable cv_;
    std::shared_ptr<job_t> job_;
    std::uint64_t generation_ = 0;
    int workers_ = 0;
};

}  // namespace fastshear
