package dev.vmbench.gate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BaselineTest {

    private static final VmGroupSpec GROUP = new VmGroupSpec("gold", VmSize.parse("small"), "10Gi", 2);
    private static final FioPermutation PERMUTATION = new FioPermutation("random-rw", BlockSize.parse("4k"));

    @TempDir
    Path dir;

    private static FioRun run(double iopsPerVm, double p99Ns) {
        Duration d = Duration.ofMillis(1);
        List<FioMetrics> metrics = List.of(
                new FioMetrics("vm-0", "rand-read", 0, "read", 100, iopsPerVm, 0, 0, 0, 0, 0, 0, p99Ns, 0, 0, 0, 1000, 0, 0, 0),
                new FioMetrics("vm-1", "rand-read", 0, "read", 100, iopsPerVm, 0, 0, 0, 0, 0, 0, p99Ns / 2, 0, 0, 0, 1000, 0, 0, 0));
        return new FioRun(GROUP, PERMUTATION, Map.of("vm-0", "{}", "vm-1", "{}"), metrics,
                new RunTimings(d, d, d, d, d, d, 0));
    }

    private Path earlierRun(FioRun run) {
        ResultStore store = ResultStore.create(dir, "earlier");
        store.writeRun(run);
        return store.dir();
    }

    @Test
    void aRunWithinToleranceDoesNotRegress() {
        Baseline baseline = Baseline.load(earlierRun(run(1000, 2_000_000)), 0.10, 0.20);

        assertThat(baseline.regressions(run(950, 2_300_000))).isEmpty();
    }

    @Test
    void fallingThroughputAndRisingLatencyAreBothNamedWithTheirDeltas() {
        Baseline baseline = Baseline.load(earlierRun(run(1000, 2_000_000)).resolve("summary.json"), 0.10, 0.20);

        assertThat(baseline.regressions(run(500, 3_000_000))).containsExactly(
                "rand-read read IOPS 1000 vs 2000 (-50.0 %, allowed -10 %)",
                "rand-read read p99 3.00 ms vs 2.00 ms (+50.0 %, allowed +20 %)");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() ->
                FioRunAssert.assertThat(run(500, 3_000_000)).doesNotRegressFrom(baseline)))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("gold small 10Gi x2 / random-rw 4k (2 VMs) regressed against baseline Baseline["
                        + dir.resolve("earlier/summary.json") + "]:");
    }

    @Test
    void againstABaselineOfSeveralSamplesOnlyAChangeOutsideTheirSpreadIsARegression() {
        // given: a baseline whose three samples ranged from 1200 to 2400 IOPS per VM (median 2000)
        FioRun baselineRun = dev.vmbench.fio.Samples.median(List.of(run(1200, 2_000_000), run(2000, 2_000_000),
                run(2400, 2_000_000)));
        Baseline baseline = Baseline.load(earlierRun(baselineRun), 0.10, 0.20);

        // then: 1500 per VM is 25 % below the median but inside the spread: noise; 1000 is below both
        assertThat(baseline.regressions(run(1500, 2_000_000))).isEmpty();
        assertThat(baseline.regressions(run(1000, 2_000_000))).containsExactly(
                "rand-read read IOPS 2000 vs 4000 (-50.0 %, allowed -10 %)");
    }

    @Test
    void aPermutationTheBaselineNeverRanIsNotARegression() {
        Baseline baseline = Baseline.load(earlierRun(run(1000, 2_000_000)), 0.10, 0.20);
        FioRun other = new FioRun(GROUP, new FioPermutation("db-oltp", BlockSize.NATIVE), Map.of(), run(1, 1).metrics(),
                run(1, 1).timings());

        assertThat(baseline.regressions(other)).isEmpty();
        assertThat(Baseline.NONE.regressions(run(1, 1))).isEmpty();
    }

    @Test
    void badBaselinesSayWhatToPointAt() throws IOException {
        assertThatThrownBy(() -> Baseline.load(dir, 0.1, 0.2))
                .hasMessage("Baseline [" + dir + "] has no summary.json. Fix: point -Dvmbench.baseline at an earlier "
                        + "run's folder (target/vmbench/<run-id>) or its summary.json, or at the bash suite's results "
                        + "folder or results-<RUN_ID>.csv.");
        Path broken = Files.writeString(dir.resolve("summary.json"), "{\"group\": ");
        assertThatThrownBy(() -> Baseline.load(broken, 0.1, 0.2)).hasMessageStartingWith("Baseline [" + broken
                + "] is not valid JSON: ").hasMessageEndingWith(". Fix: use a summary.json written by vmbench.");
        Files.writeString(broken, "{\"group\": \"x\"}");
        assertThatThrownBy(() -> Baseline.load(broken, 0.1, 0.2)).hasMessage("Baseline [" + broken + "] is not a "
                + "vmbench summary (expected \"permutations\"). Fix: use a summary.json written by vmbench.");
    }
}
