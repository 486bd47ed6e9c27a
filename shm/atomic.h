/*
 * atomic.h - the memory-ordering vocabulary of the shared-memory protocol.
 *
 * GCC's __atomic builtins on plain fields: they compile to plain moves on
 * x86 for acquire/release (xchg for the seq_cst store), and ThreadSanitizer
 * understands them, which it does not for inline-asm fences.  Each use site
 * says what it pairs with.
 */
#ifndef SHM_ATOMIC_H
#define SHM_ATOMIC_H

#define shm_load_relaxed(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define shm_store_relaxed(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define shm_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define shm_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define shm_load_sc(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define shm_store_sc(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define shm_fence_sc() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define shm_compiler_barrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)

#define shm_likely(x) __builtin_expect(!!(x), 1)
#define shm_unlikely(x) __builtin_expect(!!(x), 0)

#endif
