// A plain pthread pool of the kind a C inference engine owns, driven through
// simdnorm's parallel-for hook (sn_set_parallel_for): workers take the items
// of every loop in flight one at a time, the calling thread takes part in its
// own loop (unless told not to), and several threads may run loops on the pool at once. Written
// against pthreads, not oneTBB or std::thread, so that ThreadSanitizer sees
// every synchronisation in it (scripts/sanitize.sh thread).
#ifndef SIMDNORM_TESTS_PTHREAD_POOL_HPP_
#define SIMDNORM_TESTS_PTHREAD_POOL_HPP_

#include <pthread.h>

#include <cstdint>
#include <list>
#include <stdexcept>
#include <vector>

#include "simdnorm/simdnorm.h"

namespace simdnorm::testing {

class pthread_pool {
 public:
  // caller_helps: whether a thread that runs a loop on the pool takes items
  // of it too, or waits for the workers to run them all.
  pthread_pool(int workers, bool caller_helps) : caller_helps_(caller_helps) {
    pthread_mutex_init(&lock_, nullptr);
    pthread_cond_init(&work_, nullptr);
    pthread_cond_init(&done_, nullptr);
    for (int i = 0; i < workers; ++i) {
      pthread_t t;
      if (pthread_create(&t, nullptr, &pthread_pool::worker, this) != 0) {
        shut_down();
        throw std::runtime_error("pthread_pool: pthread_create failed");
      }
      threads_.push_back(t);
    }
  }
  pthread_pool(const pthread_pool&) = delete;
  pthread_pool& operator=(const pthread_pool&) = delete;
  ~pthread_pool() {
    shut_down();
    pthread_cond_destroy(&done_);
    pthread_cond_destroy(&work_);
    pthread_mutex_destroy(&lock_);
  }

  // The hook: matches sn_parallel_for, with the pool as pool_context.
  static void parallel_for(void* pool_context, int64_t items, sn_parallel_task task,
                           void* task_context) {
    static_cast<pthread_pool*>(pool_context)->run(items, task, task_context);
  }

  // Loops run and items run so far, over every caller.
  std::int64_t loops() {
    pthread_mutex_lock(&lock_);
    const std::int64_t n = loops_;
    pthread_mutex_unlock(&lock_);
    return n;
  }
  std::int64_t items_run_by_workers() {
    pthread_mutex_lock(&lock_);
    const std::int64_t n = worker_items_;
    pthread_mutex_unlock(&lock_);
    return n;
  }

 private:
  struct loop {
    int64_t items;
    sn_parallel_task task;
    void* context;
    int64_t next = 0;      // the first item nobody took
    int64_t finished = 0;  // items whose task returned
  };

  void run(int64_t items, sn_parallel_task task, void* context) {
    pthread_mutex_lock(&lock_);
    ++loops_;
    loops_in_flight_.push_back(loop{items, task, context});
    loop& mine = loops_in_flight_.back();
    pthread_cond_broadcast(&work_);
    // The calling thread takes items of its own loop too.
    while (caller_helps_ && mine.next < mine.items) run_one(mine, false);
    while (mine.finished < mine.items) pthread_cond_wait(&done_, &lock_);
    for (auto it = loops_in_flight_.begin(); it != loops_in_flight_.end(); ++it) {
      if (&*it == &mine) {
        loops_in_flight_.erase(it);
        break;
      }
    }
    pthread_mutex_unlock(&lock_);
  }

  // Runs one item of l outside the lock; called and returns with it held.
  void run_one(loop& l, bool by_worker) {
    const int64_t item = l.next++;
    pthread_mutex_unlock(&lock_);
    l.task(l.context, item, item + 1);
    pthread_mutex_lock(&lock_);
    if (by_worker) ++worker_items_;
    if (++l.finished == l.items) pthread_cond_broadcast(&done_);
  }

  static void* worker(void* self) {
    auto& pool = *static_cast<pthread_pool*>(self);
    pthread_mutex_lock(&pool.lock_);
    for (;;) {
      loop* open = nullptr;
      for (loop& l : pool.loops_in_flight_) {
        if (l.next < l.items) {
          open = &l;
          break;
        }
      }
      if (open != nullptr) {
        pool.run_one(*open, true);
      } else if (pool.stopping_) {
        break;
      } else {
        pthread_cond_wait(&pool.work_, &pool.lock_);
      }
    }
    pthread_mutex_unlock(&pool.lock_);
    return nullptr;
  }

  void shut_down() {
    pthread_mutex_lock(&lock_);
    stopping_ = true;
    pthread_cond_broadcast(&work_);
    pthread_mutex_unlock(&lock_);
    for (pthread_t t : threads_) pthread_join(t, nullptr);
    threads_.clear();
  }

  pthread_mutex_t lock_;
  pthread_cond_t work_;              // a loop has items nobody took, or the pool stops
  pthread_cond_t done_;              // a loop's last item finished
  std::list<loop> loops_in_flight_;  // std::list: a loop stays where its caller points
  std::vector<pthread_t> threads_;
  const bool caller_helps_;
  bool stopping_ = false;
  std::int64_t loops_ = 0;
  std::int64_t worker_items_ = 0;
};

}  // namespace simdnorm::testing

#endif  // SIMDNORM_TESTS_PTHREAD_POOL_HPP_
