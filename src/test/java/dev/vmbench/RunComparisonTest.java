package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmbench.config.BenchConfig;
import dev.vmbench.fio.FioMetrics;
import dev.vmbench.fio.FioRun;
import dev.vmbench.fio.RunTimings;
import dev.vmbench.matrix.BlockSize;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.matrix.VmSize;
import dev.vmbench.report.ResultStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compare command on two runs written to disk: the comparison lands in the newer run, regressions fail it. */
class RunComparisonTest {

    private static final VmGroupSpec GROUP = new VmGroupSpec("gold", VmSize.parse("small"), "10Gi", 1);
    private static final BenchConfig DEFAULTS = BenchConfig.from(key -> Optional.empty(), name -> null, List.of());

    @TempDir
    Path dir;

    private Path run(String id, String profile, double iops, double p99Ns) {
        Duration d = Duration.ofMillis(1);
        ResultStore store = ResultStore.create(dir, id);
        store.writeRun(new FioRun(GROUP, new FioPermutation(profile, BlockSize.parse("4k")), Map.of("vm-0", "{}"),
                List.of(new FioMetrics("vm-0", "rand-read", 0, "read", 100, iops, iops * 4096, 0, 0, 0, 0, 0, p99Ns, 0,
                        0, 0, 1000, 0, 0, 0)), new RunTimings(d, d, d, d, d, d, 0)));
        return store.dir();
    }

    @Test
    void aSteadyRunComparesCleanAndTheComparisonIsWrittenIntoIt() throws IOException {
        Path older = run("20261120-100000-aaaa", "random-rw", 1000, 2_000_000);
        Path newer = run("20261121-100000-bbbb", "random-rw", 980, 2_100_000);

        assertThat(RunComparison.compare(older, newer, DEFAULTS)).isEmpty();
        assertThat(Files.readString(newer.resolve("comparison.md"))).startsWith("# vmbench run 20261121-100000-bbbb "
                + "compared with Baseline[" + older.resolve("summary.json") + "]").contains("| gold small 10Gi x1 / "
                + "random-rw 4k | rand-read read | 980 vs 1000 (-2.0 %) |");
        assertThat(newer.resolve("comparison.html")).exists();
    }

    @Test
    void aRegressionIsNamedWithItsPermutation() {
        Path older = run("20261120-100000-aaaa", "random-rw", 1000, 2_000_000);
        Path newer = run("20261121-100000-bbbb", "random-rw", 500, 2_000_000);

        assertThat(RunComparison.compare(older, newer, DEFAULTS)).containsExactly("gold small 10Gi x1 / random-rw 4k: "
                + "rand-read read IOPS 500 vs 1000 (-50.0 %, allowed -10 %)");
    }

    @Test
    void runsWithNothingInCommonOrNoRunAtAllAreRefused() {
        Path older = run("20261120-100000-aaaa", "random-rw", 1000, 2_000_000);
        Path newer = run("20261121-100000-bbbb", "db-oltp", 1000, 2_000_000);

        assertThatThrownBy(() -> RunComparison.compare(older, newer, DEFAULTS)).hasMessage("Runs [" + older + "] and ["
                + newer + "] share no permutation (group, profile and block size with the same job sections), so there "
                + "is nothing to compare. Fix: compare runs of the same matrix (and map a bash-suite baseline's pools "
                + "with -Dvmbench.baselinePools).");
        assertThatThrownBy(() -> RunComparison.compare(older, dir, DEFAULTS)).hasMessage("Run [" + dir + "] has no "
                + "summary.json. Fix: name a vmbench run's folder (target/vmbench/<run-id>) second; the older one may "
                + "also be the bash suite's results.");
    }
}
