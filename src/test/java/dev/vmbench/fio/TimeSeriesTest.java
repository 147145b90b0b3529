package dev.vmbench.fio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * fio's interval logs read back as one course per VM: first from logs written as fio writes them (its line format,
 * its omissions), then from logs real fio wrote.
 */
class TimeSeriesTest {

    private static final Duration SECOND = Duration.ofSeconds(1);

    @Test
    void jobsThatRanTogetherAddUpPerIntervalWithLatencyWeightedByTheirIos() {
        // two numjobs clones of one section; clone 2 logs a millisecond later, as fio's clones do
        String logs = """
                == vm_iops.1.log
                1000000001000, 100, 0, 4096, 0
                1000000002000, 100, 0, 4096, 0
                1000000003000, 100, 0, 4096, 0
                == vm_iops.2.log
                1000000001001, 300, 0, 4096, 0
                1000000002001, 300, 0, 4096, 0
                1000000003001, 300, 0, 4096, 0
                == vm_bw.1.log
                1000000001000, 400, 0, 4096, 0
                1000000002000, 400, 0, 4096, 0
                1000000003000, 400, 0, 4096, 0
                == vm_bw.2.log
                1000000001001, 1200, 0, 4096, 0
                1000000002001, 1200, 0, 4096, 0
                1000000003001, 1200, 0, 4096, 0
                == vm_clat.1.log
                1000000001000, 1000000, 0, 4096, 0
                1000000002000, 1000000, 0, 4096, 0
                1000000003000, 1000000, 0, 4096, 0
                1000000003500, 9000000, 0, 4096, 0
                == vm_clat.2.log
                1000000001001, 2000000, 0, 4096, 0
                1000000002001, 2000000, 0, 4096, 0
                1000000003001, 2000000, 0, 4096, 0
                """;

        // the guest's clock is 2.5 s ahead of this machine's
        List<TimeSeries.Point> points = TimeSeries.parse("vm-0", logs, SECOND, Duration.ofMillis(2500));

        assertThat(points).hasSize(3).allSatisfy(p -> {
            assertThat(p.iops()).isEqualTo(400);
            assertThat(p.bandwidthBytes()).isEqualTo(1600 * 1024);
            // (100 × 1 ms + 300 × 2 ms) ÷ 400
            assertThat(p.clatMeanNs()).isEqualTo(1_750_000);
            assertThat(p.phase()).isZero();
        });
        assertThat(points.get(0).epochSeconds()).isCloseTo(1_000_000_001.0005 - 2.5, within(1e-6));
        assertThat(new TimeSeries(SECOND, Map.of("vm-0", points)).iopsDrift()).containsEntry("vm-0", 0.0);
    }

    @Test
    void anIntervalWithoutIoCountsZeroAndAPartialLastIntervalIsCutOff() {
        // fio writes no line for an interval that completed no I/O (a stall), and none for the last partial window
        // of a job that ended before it closed
        String logs = """
                == vm_iops.1.log
                1000000001000, 100, 0, 4096, 0
                1000000003000, 100, 0, 4096, 0
                1000000004000, 100, 0, 4096, 0
                1000000005000, 50, 0, 4096, 0
                == vm_iops.2.log
                1000000001000, 100, 0, 4096, 0
                1000000003000, 100, 0, 4096, 0
                1000000004000, 100, 0, 4096, 0
                """;

        List<TimeSeries.Point> points = TimeSeries.parse("vm-0", logs, SECOND, Duration.ZERO);

        assertThat(points).extracting(TimeSeries.Point::iops).containsExactly(200.0, 0.0, 200.0, 200.0);
        assertThat(points.get(1).clatMeanNs()).isNaN();
        assertThat(points.get(1).epochSeconds()).isEqualTo(1_000_000_002.0);
        // mean 150, standard deviation 86.6: the stall shows as drift
        assertThat(new TimeSeries(SECOND, Map.of("vm-0", points)).worstIopsDrift()).isCloseTo(0.5774, within(1e-4));
    }

    @Test
    void stonewalledSectionsArePhasesAndTheLeastSteadyCounts() {
        String logs = """
                == vm_iops.1.log
                1000000001000, 1000, 0, 4096, 0
                1000000002000, 1000, 0, 4096, 0
                1000000003000, 1000, 0, 4096, 0
                == vm_iops.2.log
                1000000005000, 10, 1, 4096, 0
                1000000006000, 30, 1, 4096, 0
                1000000007000, 20, 1, 4096, 0
                """;

        List<TimeSeries.Point> points = TimeSeries.parse("vm-0", logs, SECOND, Duration.ZERO);

        assertThat(points).extracting(TimeSeries.Point::phase).containsExactly(0, 0, 0, 1, 1, 1);
        // the first phase is flat; the second varies by 8.16 ÷ 20: a level change between phases is no drift
        assertThat(new TimeSeries(SECOND, Map.of("vm-0", points)).iopsDrift().get("vm-0")).isCloseTo(0.4082,
                within(1e-4));
        // too few intervals for a figure
        assertThat(new TimeSeries(SECOND, Map.of("vm-0", points.subList(0, 2))).iopsDrift().get("vm-0")).isNaN();
    }

    @Test
    void aLineThatIsNoLogEntryIsNamedWithItsFileAndLine() {
        assertThatThrownBy(() -> TimeSeries.parse("vm-3", "== vm_iops.1.log\n1000, 10, 0, 4096, 0\nfio: oops\n", SECOND,
                Duration.ZERO)).isInstanceOf(FioOutputException.class).hasMessage("fio's interval logs from VM vm-3 "
                + "have a line that is no log entry (time_ms, value, direction, …) at line 3 of vm_iops.1.log: "
                + "[fio: oops]. Fix: see that guest's fio version (fio 3 writes these logs) and its 'vmbench-guest "
                + "logs' output.");
        assertThatThrownBy(() -> TimeSeries.gunzip("vm-3", "plain".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(FioOutputException.class).hasMessageStartingWith("fio's interval logs from VM vm-3 are "
                        + "not gzip data (");
    }

    @Test
    void logsRealFioWroteReadBackAsItsOwnJsonSaysOnTheSameClock(@TempDir Path dir) throws Exception {
        // given: two clones × 3 s of random reads, logged every 500 ms with Unix-epoch stamps
        Files.writeString(dir.resolve("job.fio"), "[global]\nioengine=libaio\ndirect=1\nfilename=t.dat\nsize=16m\n"
                + "time_based=1\nruntime=3\n[r]\nrw=randread\nbs=4k\niodepth=2\nnumjobs=2\n");
        Files.createDirectories(dir.resolve("logs"));
        Process fio = new ProcessBuilder("fio", "--write_iops_log=" + dir.resolve("logs/vm"), "--write_bw_log="
                + dir.resolve("logs/vm"), "--write_lat_log=" + dir.resolve("logs/vm"), "--log_avg_msec=500",
                "--log_unix_epoch=1", "--output-format=json", "--output=" + dir.resolve("out.json"), "job.fio")
                .directory(dir.toFile()).redirectErrorStream(true).start();
        String said = new String(fio.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(fio.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(fio.exitValue()).as(said).isZero();
        StringBuilder listing = new StringBuilder();
        for (String kind : List.of("iops", "bw", "clat")) {
            for (int job = 1; job <= 2; job++) {
                listing.append("== vm_").append(kind).append('.').append(job).append(".log\n")
                        .append(Files.readString(dir.resolve("logs/vm_" + kind + "." + job + ".log")));
            }
        }
        ByteArrayOutputStream gzip = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gzip)) {
            out.write(listing.toString().getBytes(StandardCharsets.UTF_8));
        }

        // when
        List<TimeSeries.Point> points = TimeSeries.parse("vm-0", TimeSeries.gunzip("vm-0", gzip.toByteArray()),
                Duration.ofMillis(500), Duration.ZERO);

        // then: about six intervals in the 3 s fio ended at, and their mean rate near fio's own
        FioOutput output = FioOutput.parse("vm-0", Files.readString(dir.resolve("out.json")));
        double end = output.endEpochMillis().orElseThrow() / 1000.0;
        assertThat(points).hasSizeBetween(4, 7).allSatisfy(p -> {
            assertThat(p.epochSeconds()).isBetween(end - 3.6, end + 0.1);
            assertThat(p.iops()).isPositive();
            assertThat(p.clatMeanNs()).isPositive();
            assertThat(p.bandwidthBytes()).isCloseTo(p.iops() * 4096, within(p.iops() * 4096 * 0.05 + 8192));
        });
        double fioIops = output.metrics().stream().mapToDouble(FioMetrics::iops).sum();
        double logged = points.stream().mapToDouble(TimeSeries.Point::iops).average().orElseThrow();
        assertThat(logged).isCloseTo(fioIops, within(fioIops * 0.5));
    }
}
