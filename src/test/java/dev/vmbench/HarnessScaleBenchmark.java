package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;

/**
 * What the harness itself costs per VM as groups grow (density steps reach 64 VMs and more): the storage suite on
 * the embedded cluster at several group sizes, one short permutation each, sampling every thread of this JVM. The
 * embedded cluster runs in the same JVM, so its threads and heap are told apart by thread name and reported
 * separately; heap is the whole JVM's (an upper bound for the harness). Not part of CI; run it as
 * docs/performance.md says. Writes target/vmbench-bench/scale.md.
 */
class HarnessScaleBenchmark {

    @TempDir
    Path dir;

    @Test
    void threadsCpuAndHeapPerVm() throws Exception {
        List<String> rows = new ArrayList<>();
        rows.add("| VMs | harness threads (peak) | harness CPU | Vert.x threads (peak, shared) | Vert.x CPU | embedded "
                + "cluster threads (peak) | embedded CPU | heap used (peak, whole JVM) | harness thread families at peak |");
        rows.add("|---|---|---|---|---|---|---|---|---|");
        for (int vms : scenarioVms()) {
            System.gc();
            Sampler sampler = new Sampler();
            Thread thread = new Thread(sampler, "bench-sampler");
            thread.setDaemon(true);
            thread.start();
            SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, Files.createDirectories(dir.resolve("x" + vms)),
                    Map.of("vmbench.profiles", "lite-random", "vmbench.blockSizes", "4k", "vmbench.concurrency",
                            String.valueOf(vms), "vmbench.runtime", "1s", "vmbench.fileSize", "16MiB",
                            "vmbench.threshold.min-overlap", "0%", "vmbench.readyTimeout", "10m"));
            sampler.stop.countDown();
            thread.join();
            // the harness must not break; whether the shared local disk meets a gate is not the question here
            assertThat(run.tests().values()).allMatch(r -> r.getStatus() == TestExecutionResult.Status.SUCCESSFUL
                    || r.getThrowable().filter(AssertionError.class::isInstance).isPresent());
            rows.add(String.format(Locale.ROOT, "| %d | %d | %.1f s | %d | %.1f s | %d | %.1f s | %d MiB | %s |", vms,
                    sampler.peak(Owner.HARNESS), sampler.cpuSeconds(Owner.HARNESS), sampler.peak(Owner.VERTX),
                    sampler.cpuSeconds(Owner.VERTX), sampler.peak(Owner.EMBEDDED), sampler.cpuSeconds(Owner.EMBEDDED),
                    sampler.heapPeak >> 20, sampler.familiesAtPeak()));
        }
        Path report = Files.createDirectories(Path.of("target/vmbench-bench")).resolve("scale.md");
        Files.write(report, rows);
        rows.forEach(System.out::println);
    }

    /** {@code -Dbench.vms=1,16} narrows the scenarios. */
    private static int[] scenarioVms() {
        return java.util.Arrays.stream(System.getProperty("bench.vms", "1,16,64").split(","))
                .mapToInt(Integer::parseInt).toArray();
    }

    /** Whose a thread is, by its name. */
    enum Owner {
        /** vmbench's own: its pools, SSH client, tunnels, the fabric8 client's helpers. */
        HARNESS,
        /**
         * the embedded cluster's: mock API server relays, the sandboxes' SSH servers (each with its NIO2 epoll
         * thread, JDK-named {@code Thread-N}; the SSH client's one is counted here too) and fio processes.
         */
        EMBEDDED,
        /** Vert.x event loops and workers, which the fabric8 clients and the mock API server both use. */
        VERTX;

        static Owner of(String name) {
            if (name.startsWith("vert.x-") || name.startsWith("vertx-")) {
                return VERTX;
            }
            boolean embedded = name.contains("SshServer") || name.startsWith("sandbox") || name.startsWith("simulated")
                    || name.startsWith("portforward-relay") || name.startsWith("process reaper")
                    || name.startsWith("bench-") || name.matches("Thread-\\d+");
            return embedded ? EMBEDDED : HARNESS;
        }
    }

    /**
     * Samples every live thread every 100 ms: how many each owner has (and by family, the name without its
     * numbers), each thread's CPU time as last seen, and the heap in use.
     */
    private static final class Sampler implements Runnable {
        /** Counted down to end sampling; also the wait between samples, so stopping does not wait a period. */
        final java.util.concurrent.CountDownLatch stop = new java.util.concurrent.CountDownLatch(1);
        long heapPeak;
        private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        private final Map<Long, Long> cpuNanos = new ConcurrentHashMap<>();
        private final Map<Long, Owner> owners = new ConcurrentHashMap<>();
        private final Map<Long, Long> cpuAtStart = new ConcurrentHashMap<>();
        private final Map<Owner, Integer> peaks = new java.util.EnumMap<>(Owner.class);
        private Map<String, Integer> familiesAtPeak = Map.of();

        @Override
        public void run() {
            boolean first = true;
            while (stop.getCount() > 0) {
                Map<String, Integer> families = new TreeMap<>();
                Map<Owner, Integer> counts = new java.util.EnumMap<>(Owner.class);
                for (Thread t : Thread.getAllStackTraces().keySet()) {
                    Owner owner = Owner.of(t.getName());
                    long cpu = threads.getThreadCpuTime(t.getId());
                    if (first) {
                        cpuAtStart.put(t.getId(), Math.max(0, cpu));
                    }
                    if (cpu >= 0) {
                        cpuNanos.put(t.getId(), cpu);
                    }
                    owners.put(t.getId(), owner);
                    counts.merge(owner, 1, Integer::sum);
                    if (owner == Owner.HARNESS) {
                        families.merge(t.getName().replaceAll("[0-9a-f]{6}|\\d+", "#"), 1, Integer::sum);
                    }
                }
                if (counts.getOrDefault(Owner.HARNESS, 0) > peak(Owner.HARNESS)) {
                    familiesAtPeak = families;
                }
                counts.forEach((owner, n) -> peaks.merge(owner, n, Math::max));
                heapPeak = Math.max(heapPeak, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
                first = false;
                try {
                    stop.await(100, java.util.concurrent.TimeUnit.MILLISECONDS); // the sampling period
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        int peak(Owner owner) {
            return peaks.getOrDefault(owner, 0);
        }

        double cpuSeconds(Owner owner) {
            return cpuNanos.entrySet().stream().filter(e -> owners.get(e.getKey()) == owner)
                    .mapToLong(e -> e.getValue() - cpuAtStart.getOrDefault(e.getKey(), 0L)).sum() / 1e9;
        }

        String familiesAtPeak() {
            return familiesAtPeak.entrySet().stream().filter(e -> e.getValue() > 1)
                    .map(e -> e.getKey() + " " + e.getValue()).reduce((a, b) -> a + ", " + b).orElse("-");
        }
    }
}
