// A small pool of persistent threads for calls whose work is well under a millisecond (the dense
// network engine). The calling thread takes part, and it never waits for a worker that has not
// started: an OpenMP team's closing barrier does, which on an oversubscribed machine costs a
// scheduler time slice (4-16 ms measured here, against < 1 ms of work). A worker that wakes up
// late finds nothing left and goes back to sleep.
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
