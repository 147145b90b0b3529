package dev.vmbench.fio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmbench.matrix.BlockSize;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.matrix.VmSize;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Several samples of one permutation: the median is judged, the spread of all is kept. */
class SamplesTest {

    private static final VmGroupSpec GROUP = new VmGroupSpec("gold", VmSize.parse("small"), "10Gi", 1);

    private static FioRun sample(double iops, double p99Ns) {
        Duration d = Duration.ofMillis(1);
        return new FioRun(GROUP, new FioPermutation("random-rw", BlockSize.parse("4k")), Map.of("vm-0", "{}"),
                List.of(new FioMetrics("vm-0", "rand-read", 0, "read", 100, iops, iops * 4096, 0, 0, 0, 0, 0, p99Ns, 0,
                        0, 0, 1000, 0, 0, 0)), new RunTimings(d, d, d, d, d, d, 0));
    }

    @Test
    void theMedianByTotalIopsIsJudgedAndTheRangeOfAllIsKept() {
        FioRun median = Samples.median(List.of(sample(900, 3e6), sample(1200, 1e6), sample(1000, 2e6)));

        assertThat(median.metrics().get(0).iops()).isEqualTo(1000);
        assertThat(median.samples().count()).isEqualTo(3);
        assertThat(median.samples().range().get("rand-read read")).containsExactly(900, 1200, 1e6, 3e6);
        assertThat(median.samples().iopsSpread("rand-read read", 1000)).isEqualTo(0.3);
    }

    @Test
    void theJudgedSampleCarriesTheLeastOverlapAndWidestSpreadOfAllSamples() {
        // given: the median sample measured together, another did not
        Duration d = Duration.ofMillis(1);
        FioRun together = withTimings(sample(1000, 1e6), new RunTimings(d, d, Duration.ofMillis(5), d, d, d, 0, 99));
        FioRun apart = withTimings(sample(1200, 1e6), new RunTimings(d, d, Duration.ofMillis(400), d, d, d, 0, 60));
        FioRun slow = withTimings(sample(900, 1e6), new RunTimings(d, d, Duration.ofMillis(3), d, d, d, 0, 98));

        // when
        FioRun judged = Samples.median(List.of(slow, apart, together));

        // then: the median's numbers, every sample's concurrency
        assertThat(judged.metrics().get(0).iops()).isEqualTo(1000);
        assertThat(judged.timings().overlapPct()).isEqualTo(60);
        assertThat(judged.timings().startSpread()).isEqualTo(Duration.ofMillis(400));
    }

    private static FioRun withTimings(FioRun run, RunTimings timings) {
        return new FioRun(run.group(), run.permutation(), run.rawJson(), run.metrics(), timings);
    }

    @Test
    void ofTwoTheWorseIsJudgedAndOneSampleIsItself() {
        assertThat(Samples.median(List.of(sample(1200, 1e6), sample(800, 2e6))).metrics().get(0).iops()).isEqualTo(800);
        FioRun one = sample(1000, 1e6);
        assertThat(Samples.median(List.of(one))).isSameAs(one);
        assertThat(one.samples()).isEqualTo(Samples.ONE);
    }
}
