package dev.vmbench.profile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmbench.matrix.BlockSize;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.template.Templates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The profiles named as the bash suite's run its workloads: every section of the job vmbench renders (with the
 * bash suite's defaults: iodepth 32, 4 jobs, 120 s + 10 s ramp, 4 GiB files, block size 4k where the profile takes
 * one) has the bash suite's parameters, read back from the rendered job.
 */
class BashSuiteParityTest {

    private static final ProfileLibrary SHIPPED = ProfileLibrary.load(Path.of("test-profiles/profiles"));
    private static final FioJobs JOBS = new FioJobs(SHIPPED, Templates.in(Path.of("templates")), Duration.ofSeconds(120),
            Duration.ofSeconds(10), 4L << 30, Duration.ofMinutes(2), 32, 4, 0);

    @ParameterizedTest(name = "{0} [{1}]")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            # profile     | section             | rw        | bs   | iodepth | numjobs | rwmixread | fsync | stonewall | filename
            random-rw     | rand-read           | randread  | 4k   | 32      | 4       | -         | -     | yes       | fio-testfile
            random-rw     | rand-write          | randwrite | 4k   | 32      | 4       | -         | -     | yes       | fio-testfile
            sequential-rw | seq-read            | read      | 4k   | 32      | 4       | -         | -     | yes       | fio-testfile
            sequential-rw | seq-write           | write     | 4k   | 32      | 4       | -         | -     | yes       | fio-testfile
            mixed-70-30   | mixed-70-30         | randrw    | 4k   | 32      | 4       | 70        | -     | no        | fio-testfile
            mixed-70-30-rated | mixed-70-30-rated | randrw  | 4k   | 32      | 4       | 70        | -     | no        | fio-testfile
            db-oltp       | db-data-read        | randread  | 8k   | 16      | 4       | -         | -     | yes       | -
            db-oltp       | db-wal-write        | write     | 8k   | 1       | 1       | -         | 1     | yes       | -
            db-oltp       | db-oltp-mixed       | randrw    | 8k   | 32      | 4       | 80        | -     | yes       | -
            db-oltp       | db-point-query      | randread  | 4k   | 1       | 1       | -         | -     | yes       | -
            app-server    | app-log-write       | write     | 16k  | 4       | 2       | -         | 4     | yes       | -
            app-server    | app-config-read     | randread  | 4k   | 4       | 2       | -         | -     | yes       | -
            app-server    | app-temp-io         | randrw    | 16k  | 8       | 4       | 60        | -     | yes       | -
            app-server    | app-session-write   | randwrite | 4k   | 8       | 2       | -         | -     | yes       | -
            data-pipeline | pipeline-ingest     | write     | 1M   | 32      | 4       | -         | -     | yes       | -
            data-pipeline | pipeline-scan       | read      | 1M   | 32      | 4       | -         | -     | yes       | -
            data-pipeline | pipeline-shuffle    | randread  | 256k | 16      | 4       | -         | -     | yes       | -
            data-pipeline | pipeline-checkpoint | write     | 512k | 8       | 2       | -         | -     | yes       | -
            data-pipeline | pipeline-etl        | randrw    | 128k | 32      | 4       | 70        | -     | yes       | -
            """)
    void eachSectionHasTheBashSuitesParameters(String profile, String section, String rw, String bs, String iodepth,
            String numjobs, String rwmixread, String fsync, String stonewall, String filename) {
        Map<String, String> options = options(profile, section);

        assertThat(options.get("rw")).isEqualTo(rw);
        assertThat(options.get("bs")).isEqualToIgnoringCase(bs);
        assertThat(options.get("iodepth")).isEqualTo(iodepth);
        assertThat(options.get("numjobs")).isEqualTo(numjobs);
        assertThat(options.get("rwmixread")).isEqualTo(rwmixread);
        assertThat(options.get("fsync")).isEqualTo(fsync);
        assertThat(options.containsKey("stonewall")).isEqualTo(stonewall.equals("yes"));
        assertThat(options.get("filename")).isEqualTo(filename);
        // what every bash-suite job shares
        assertThat(options).containsEntry("ioengine", "libaio").containsEntry("direct", "1")
                .containsEntry("group_reporting", "1").containsEntry("time_based", "1")
                .containsEntry("runtime", "120").containsEntry("ramp_time", "10").containsEntry("size", "4294967296");
    }

    @Test
    void theBashSuitesProfilesHaveExactlyItsSections() {
        Map<String, List<String>> sections = Map.of(
                "random-rw", List.of("rand-read", "rand-write"),
                "sequential-rw", List.of("seq-read", "seq-write"),
                "mixed-70-30", List.of("mixed-70-30"),
                "mixed-70-30-rated", List.of("mixed-70-30-rated"),
                "db-oltp", List.of("db-data-read", "db-wal-write", "db-oltp-mixed", "db-point-query"),
                "app-server", List.of("app-log-write", "app-config-read", "app-temp-io", "app-session-write"),
                "data-pipeline", List.of("pipeline-ingest", "pipeline-scan", "pipeline-shuffle", "pipeline-checkpoint",
                        "pipeline-etl"));
        sections.forEach((profile, expected) -> assertThat(JobFile.sections(render(profile)).stream()
                .map(JobFile.Section::name).filter(n -> !n.equals("global")).toList()).as(profile)
                .containsExactlyElementsOf(expected));
        // fixed block sizes run once, as the bash suite's FIO_FIXED_BS_PROFILES do
        assertThat(List.of("db-oltp", "app-server", "data-pipeline")).noneMatch(p -> SHIPPED.get(p).takesBlockSize());
        assertThat(List.of("random-rw", "sequential-rw", "mixed-70-30", "mixed-70-30-rated"))
                .allMatch(p -> SHIPPED.get(p).takesBlockSize());
    }

    /** The section's options as fio sees them: the global ones, overridden by the section's own. */
    private static Map<String, String> options(String profile, String section) {
        List<JobFile.Section> sections = JobFile.sections(render(profile));
        Map<String, String> options = new HashMap<>();
        sections.stream().filter(s -> s.name().equals("global")).forEach(s -> options.putAll(s.options()));
        JobFile.Section own = sections.stream().filter(s -> s.name().equals(section)).findFirst().orElseThrow();
        options.putAll(own.options());
        return options;
    }

    private static String render(String profile) {
        BlockSize bs = SHIPPED.get(profile).takesBlockSize() ? BlockSize.parse("4k") : BlockSize.NATIVE;
        return JOBS.render(new FioPermutation(profile, bs));
    }
}
