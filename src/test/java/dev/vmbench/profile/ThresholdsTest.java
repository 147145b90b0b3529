package dev.vmbench.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmbench.fio.Metric;
import dev.vmbench.matrix.BlockSize;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.matrix.VmSize;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ThresholdsTest {

    @TempDir
    Path dir;

    private Path file(String yaml) throws IOException {
        return Files.writeString(dir.resolve("thresholds.yaml"), yaml);
    }

    @Test
    void laterSectionsWinAndOverridesWinOverAll() throws IOException {
        Path file = file("""
                defaults:
                  min-iops: 100
                  max-clat-p99: 1s
                pools:
                  gold:
                    max-clat-p99: 10ms
                profiles:
                  db-oltp:
                    max-clat-p99: 5ms
                """);

        Thresholds thresholds = Thresholds.load(file, Map.of("min-iops", "20k"));

        assertThat(thresholds.of(group("silver"), RANDOM_4K).all()).extracting(Limit::toString)
                .containsExactly("min-iops 20k", "max-clat-p99 1s");
        assertThat(thresholds.of(group("gold"), RANDOM_4K).all()).extracting(Limit::toString)
                .containsExactly("min-iops 20k", "max-clat-p99 10ms");
        assertThat(thresholds.of(group("gold"), DB).all()).extracting(Limit::origin)
                .containsExactly("-Dvmbench.threshold.min-iops", "thresholds.yaml:9 (profiles.db-oltp)");
    }

    private static final FioPermutation RANDOM_4K = new FioPermutation("random-rw", BlockSize.parse("4k"));
    private static final FioPermutation DB = new FioPermutation("db-oltp", BlockSize.NATIVE);

    private static VmGroupSpec group(String pool) {
        return new VmGroupSpec(pool, VmSize.parse("small"), "50Gi", 4);
    }

    @Test
    void blockSizesAndJobSectionsRefineTheLimitsAndFairnessIsAGate() throws IOException {
        Path file = file("""
                defaults:
                  max-clat-p99: 10ms
                  max-iops-cv: 25%
                blockSizes:
                  1m:
                    max-clat-p99: 50ms
                jobs:
                  redo-log:
                    max-clat-p99: 2ms
                """);

        Thresholds thresholds = Thresholds.load(file, Map.of());

        assertThat(thresholds.of(group("gold"), new FioPermutation("random-rw", BlockSize.parse("1m"))).all())
                .extracting(Limit::toString).containsExactly("max-clat-p99 50ms", "max-iops-cv 25%");
        Limits db = thresholds.of(group("gold"), DB);
        assertThat(db.forJob("db-pages")).extracting(Limit::toString).containsExactly("max-clat-p99 10ms", "max-iops-cv 25%");
        assertThat(db.forJob("redo-log")).extracting(Limit::toString).containsExactly("max-clat-p99 2ms", "max-iops-cv 25%");
        assertThat(db.forJob("redo-log#2")).extracting(Limit::toString).containsExactly("max-clat-p99 2ms", "max-iops-cv 25%");
        assertThat(Thresholds.limit("max-iops-cv", "20%", "t").value()).isEqualTo(0.2);
        assertThatThrownBy(() -> Thresholds.limit("max-iops-cv", "even", "t")).hasMessage("t: max-iops-cv = [even] is "
                + "not a percentage: max-iops-cv is the coefficient of variation of IOPS across VMs, written with its "
                + "unit %, from 0% to 100%. Fix: write it like 20% (a bare number such as 0.95 could mean 0.95 % or "
                + "95 %).");
    }

    @ParameterizedTest(name = "{0}: [{1}] is refused")
    @CsvSource({"min-overlap,0.95", "min-overlap,95", "max-iops-cv,20", "max-iops-drift,0.2", "min-overlap,101%"})
    void aPercentLimitWithoutItsUnitIsRefusedNamingTheUnit(String key, String written) {
        assertThatThrownBy(() -> Thresholds.limit(key, written, "thresholds.yaml:9"))
                .hasMessageStartingWith("thresholds.yaml:9: " + key + " = [" + written + "] is not a percentage: ")
                .hasMessageContaining("written with its unit %, from 0% to 100%. Fix: write it like ");
    }

    @Test
    void minOverlapIsAShareFromBelow() {
        Limit overlap = Thresholds.limit("min-overlap", "95%", "t");
        assertThat(overlap.value()).isEqualTo(0.95);
        assertThat(overlap.minimum()).isTrue();
        assertThat(overlap.accepts(Double.NaN)).as("not measured never passes").isFalse();
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({
            "min-iops,20k,20000", "min-iops,1.5M,1500000", "min-iops,750,750",
            "min-bw,150MiB/s,157286400", "min-bw,1GiB/s,1073741824", "min-bw,200MB/s,200000000",
            "max-clat-p99,800us,800000", "max-clat-p99,5ms,5000000", "max-clat-p99.9,2s,2000000000",
            "max-clat-mean,250ns,250", "max-snapshot-ready,500ms,500000000", "max-vm-ready,1500ms,1500000000",
            "max-migration,2m,120000000000"})
    void unitsPeopleWriteAreUnderstood(String key, String written, double value) {
        Limit limit = Thresholds.limit(key, written, "test");
        assertThat(limit.value()).isEqualTo(value);
        assertThat(limit.minimum()).isEqualTo(key.startsWith("min-"));
    }

    @Test
    void theMetricOfAKeyIsTheOneBounded() {
        assertThat(Thresholds.limit("max-clat-p99.9", "1ms", "t").metric()).isEqualTo(Metric.CLAT_P99_9);
        assertThat(Thresholds.limit("min-bw", "1MiB/s", "t").metric()).isEqualTo(Metric.BW);
    }

    @Test
    void aBadValueNamesFileLineKeyAndFix() throws IOException {
        Path file = file("""
                defaults:
                  min-iops: 100
                profiles:
                  random-rw:
                    max-clat-p99: 5 parsecs
                """);

        assertThatThrownBy(() -> Thresholds.load(file, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("thresholds.yaml:5 (profiles.random-rw): max-clat-p99 = [5 parsecs] is not a latency. "
                        + "Fix: write it like 800us, 5ms or 2s.");
    }

    @Test
    void iopsDriftIsAPercentageForTheWholeTestNotForAJobSection(@TempDir Path dir) throws IOException {
        assertThat(Thresholds.limit("max-iops-drift", "15%", "x").value()).isEqualTo(0.15);
        assertThat(Thresholds.limit("max-iops-drift", "15%", "x").metric()).isEqualTo(Metric.IOPS_DRIFT);
        assertThatThrownBy(() -> Thresholds.limit("max-iops-drift", "steady", "thresholds.yaml:3")).hasMessage(
                "thresholds.yaml:3: max-iops-drift = [steady] is not a percentage: max-iops-drift is the coefficient "
                        + "of variation of IOPS over time, per VM, written with its unit %, from 0% to 100%. Fix: write it "
                        + "like 20% (a bare number such as 0.95 could mean 0.95 % or 95 %).");
        Path file = Files.writeString(dir.resolve("t.yaml"), "jobs:\n  rand-read:\n    max-iops-drift: 10%\n");
        assertThatThrownBy(() -> Thresholds.load(file, Map.of(), Thresholds.Names.ANY)).hasMessage(
                "t.yaml:3: jobs.rand-read.max-iops-drift bounds the whole test (every job section of a "
                + "VM, or the group), not one job section. Fix: move it to defaults, pools, profiles or blockSizes.");
    }

    @Test
    void capabilityLimitsAreDurationsOfAStorageClassNotOfAProfile(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("t.yaml"), "defaults:\n  max-snapshot-ready: 2m\n  max-io-stall: "
                + "500ms\npools:\n  ceph-rbd:\n    max-snapshot-ready: 30s\n");
        Thresholds thresholds = Thresholds.load(file, Map.of("max-clone", "90s"), Thresholds.Names.ANY);

        assertThat(thresholds.capabilities("ceph-rbd")).extracting(Limit::key, Limit::value).containsExactly(
                org.assertj.core.groups.Tuple.tuple("max-snapshot-ready", 30e9),
                org.assertj.core.groups.Tuple.tuple("max-io-stall", 500e6),
                org.assertj.core.groups.Tuple.tuple("max-clone", 90e9));
        assertThat(thresholds.capabilities("other")).extracting(Limit::written).containsExactly("2m", "500ms", "90s");
        Path misplaced = Files.writeString(dir.resolve("p.yaml"), "profiles:\n  random-rw:\n    max-restore: 5m\n");
        assertThatThrownBy(() -> Thresholds.load(misplaced, Map.of(), Thresholds.Names.ANY)).hasMessage(
                "p.yaml:3: profiles.random-rw.max-restore bounds a storage capability check of a StorageClass "
                        + "(StorageCapabilitiesIT), which runs no profile. Fix: move it to defaults or "
                        + "pools.<StorageClass>.");
        assertThatThrownBy(() -> Thresholds.limit("max-migration", "soon", "thresholds.yaml:9")).hasMessage(
                "thresholds.yaml:9: max-migration = [soon] is not a duration. Fix: write it like 500ms, 90s, 10m or 1h.");
    }

    @Test
    void minOverlapIsAShareOfTheMeasuredWindow() {
        assertThat(Thresholds.limit("min-overlap", "95%", "x").value()).isEqualTo(0.95);
        assertThat(Thresholds.limit("min-overlap", "80%", "x").minimum()).isTrue();
        assertThatThrownBy(() -> Thresholds.limit("min-overlap", "150%", "thresholds.yaml:3")).hasMessage(
                "thresholds.yaml:3: min-overlap = [150%] is not a percentage: min-overlap is the share of the group's "
                        + "measured window in which every VM measured, written with its unit %, from 0% to 100%. Fix: "
                        + "write it like 95% (a bare number such as 0.95 could mean 0.95 % or 95 %).");
    }

    @Test
    void anUnknownKeyListsTheKnownOnes() throws IOException {
        Path file = file("defaults:\n  max-p99: 5ms\n");

        assertThatThrownBy(() -> Thresholds.load(file, Map.of()))
                .hasMessage("thresholds.yaml:2 (defaults): unknown threshold key [max-p99]; nearest: [max-clat-p99]. "
                        + "Fix: use one of min-iops, min-bw, max-clat-mean, max-clat-p50, max-clat-p90, max-clat-p95, "
                        + "max-clat-p99, max-clat-p99.9, max-sync-mean, max-sync-p50, max-sync-p90, max-sync-p95, "
                        + "max-sync-p99, max-sync-p99.9, max-iops-cv, max-vm-ready, max-group-ready, min-overlap, max-iops-drift, max-snapshot-ready, max-restore, "
                        + "max-clone, max-migration, max-io-stall, max-expansion.");
    }

    @Test
    void anUnknownSectionIsRefused() throws IOException {
        Path file = file("default:\n  min-iops: 5\n");

        assertThatThrownBy(() -> Thresholds.load(file, Map.of()))
                .hasMessage("thresholds.yaml:1: unknown section [default]; nearest: [defaults]. Fix: use defaults, "
                        + "pools, profiles, blockSizes, jobs.");
    }

    @Test
    void aBadOverrideNamesTheProperty() throws IOException {
        Path file = file("defaults: {}\n");

        assertThatThrownBy(() -> Thresholds.load(file, Map.of("min-iops", "lots")))
                .hasMessage("-Dvmbench.threshold.min-iops: min-iops = [lots] is not an I/O rate. Fix: write a count "
                        + "like 5000, 20k or 1.5M.");
    }

    @Test
    void aMissingFileSaysHowToPointAtOne() {
        assertThatThrownBy(() -> Thresholds.load(dir.resolve("nope.yaml"), Map.of()))
                .hasMessage("Thresholds file [" + dir.resolve("nope.yaml").toAbsolutePath() + "] does not exist. Fix: "
                        + "run from the project folder or point -Dvmbench.thresholds at a thresholds file.");
    }

    @Test
    void theShippedThresholdsFileLoads() {
        Thresholds shipped = Thresholds.load(Path.of("test-profiles/thresholds.yaml"), Map.of());
        assertThat(shipped.of(group("any"), DB).all()).extracting(Limit::toString)
                .contains("max-clat-p99 500ms", "min-iops 20");
    }

    private static final Thresholds.Names NAMES = new Thresholds.Names(java.util.Set.of("random-rw", "db-oltp"),
            java.util.Set.of("mixed", "db-pages", "redo-log"));

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            profiles:\\n  random-rx:\\n    min-iops: 5\\n        | thresholds.yaml:2: profiles.[random-rx] names no profile; nearest: [random-rw]. Fix: correct the name, or remove the entry.
            jobs:\\n  redo_log:\\n    max-sync-p99: 5ms\\n      | thresholds.yaml:2: jobs.[redo_log] names no job section of any profile; nearest: [redo-log]. Fix: correct the name, or remove the entry.
            blockSizes:\\n  4q:\\n    min-iops: 5\\n           | thresholds.yaml:2: blockSizes.[4q] is not a block size: use a multiple of 512 bytes up to 64m, written like 4k, 64k or 1m; nearest: [4k]. Fix: correct the name, or remove the entry.
            defaults:\\n  min-iops: 5\\n  min-iops: 50\\n          | thresholds.yaml:3: key [min-iops] is written twice in the same map, and YAML would keep only the last without a word. Fix: keep one of them.
            defaults:\\n  min-iops: 5\\n---\\ndefaults:\\n  min-iops: 9\\n | thresholds.yaml:4: a second YAML document starts here; vmbench reads one. Fix: merge it into the first (remove the ---).
            """)
    void everyNameIsCheckedWithFileLineAndTheNearestValidOne(String yaml, String message) throws IOException {
        Path file = file(yaml.replace("\\n", "\n"));

        assertThatThrownBy(() -> Thresholds.load(file, Map.of(), NAMES)).hasMessage(message);
    }

    @Test
    void aPoolThatNamesNoStorageClassOfTheClusterIsRefusedOnceTheClusterIsKnown() throws IOException {
        Thresholds thresholds = Thresholds.load(file("pools:\n  ceph-rdb:\n    min-iops: 5\n"), Map.of(), NAMES);

        assertThatThrownBy(() -> thresholds.requireKnownPools(java.util.List.of("ceph-rbd", "standard")))
                .hasMessage("thresholds.yaml:2: pools.[ceph-rdb] names no StorageClass of this cluster; nearest: "
                        + "[ceph-rbd]. Fix: correct the name, or remove the entry from the thresholds file (the "
                        + "cluster has [ceph-rbd, standard]).");
    }

    @Test
    void syncLimitsBindFdatasyncLatencyOnly() throws IOException {
        Thresholds thresholds = Thresholds.load(file("jobs:\n  redo-log:\n    max-sync-p99: 5ms\n"), Map.of(), NAMES);

        assertThat(thresholds.of(group("gold"), DB).forJob("redo-log")).singleElement()
                .satisfies(l -> assertThat(l.metric()).isEqualTo(Metric.SYNC_P99));
    }

    @Test
    void provisioningLimitsAreDurations() {
        assertThat(Thresholds.limit("max-vm-ready", "10m", "t").value()).isEqualTo(600e9);
        assertThat(Thresholds.limit("max-group-ready", "1h", "t").metric()).isEqualTo(Metric.GROUP_READY);
        assertThat(Thresholds.limit("max-vm-ready", "90ms", "t").value()).isEqualTo(90e6);
        assertThatThrownBy(() -> Thresholds.limit("max-vm-ready", "90 parsecs", "t"))
                .hasMessage("t: max-vm-ready = [90 parsecs] is not a duration. Fix: write it like 500ms, 90s, 10m or 1h.");
    }
}
