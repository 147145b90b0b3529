package dev.vmbench.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/** Runs one task per VM at once and returns their results in order; the first failure is rethrown as is. */
final class Parallel {

    private Parallel() {
    }

    static ExecutorService pool(String name, int threads) {
        AtomicInteger n = new AtomicInteger();
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, name + "-" + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
    }

    static <I, O> List<O> each(ExecutorService pool, List<I> inputs, Function<I, O> task) {
        List<Future<O>> futures = new ArrayList<>();
        for (I input : inputs) {
            Callable<O> call = () -> task.apply(input);
            futures.add(pool.submit(call));
        }
        List<O> results = new ArrayList<>();
        RuntimeException first = null;
        for (Future<O> future : futures) {
            try {
                results.add(future.get());
            } catch (ExecutionException e) {
                results.add(null);
                if (first == null) {
                    first = e.getCause() instanceof RuntimeException r ? r
                            : new IllegalStateException(e.getCause().getMessage(), e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                futures.forEach(f -> f.cancel(true));
                throw new IllegalStateException("Interrupted while waiting for VMs", e);
            }
        }
        if (first != null) {
            throw first;
        }
        return results;
    }
}
