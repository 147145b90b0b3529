package dev.vmbench.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmbench.fio.TimeSeries;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The live migration's figures from fio's 100 ms logs: the longest stall and the interval p99. */
class CapabilityProbeTest {

    private static TimeSeries.Point at(double seconds, double iops, double clatNs) {
        return new TimeSeries.Point(seconds, 0, iops, iops * 4096, clatNs);
    }

    @Test
    void aRunOfIntervalsWithoutIoIsTheStall() {
        List<TimeSeries.Point> points = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            // intervals 10, 11, 12 completed nothing: 300 ms without I/O
            points.add(at(100 + i * 0.1, i >= 10 && i <= 12 ? 0 : 500, 200_000));
        }

        assertThat(CapabilityProbe.longestStallMs(points, 100.5, 101.5)).isEqualTo(300);
    }

    @Test
    void aGapBetweenLoggedIntervalsIsAStallToo() {
        // fio writes no entry for an interval without completions: 100.4 → 100.9 leaves 400 ms unlogged
        List<TimeSeries.Point> points = List.of(at(100.2, 500, 1e5), at(100.3, 500, 1e5), at(100.4, 500, 1e5),
                at(100.9, 500, 1e5), at(101.0, 500, 1e5));

        assertThat(CapabilityProbe.longestStallMs(points, 100.3, 100.9)).isEqualTo(400);
    }

    @Test
    void stallsFarFromTheMigrationDoNotCount() {
        List<TimeSeries.Point> points = List.of(at(90.0, 0, 0), at(90.1, 0, 0), at(100.0, 500, 1e5), at(100.1, 500,
                1e5));

        assertThat(CapabilityProbe.longestStallMs(points, 100.0, 100.1)).isZero();
    }

    @Test
    void theP99IsOfTheIntervalsThatCompletedIo() {
        List<TimeSeries.Point> points = new ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            points.add(at(i, 500, i * 1e6));
        }
        points.add(at(101, 0, 0));

        assertThat(CapabilityProbe.p99(points)).isEqualTo(99e6);
        assertThat(CapabilityProbe.p99(List.of())).isNaN();
    }
}
