package dev.vmbench.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmbench.matrix.BlockSize;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.matrix.VmSize;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class BenchConfigTest {

    private static final List<String> THRESHOLD_KEYS = List.of("min-iops", "max-clat-p99");

    private static BenchConfig parse(Map<String, String> parameters, Map<String, String> environment) {
        return BenchConfig.from(key -> Optional.ofNullable(parameters.get(key)), environment::get, THRESHOLD_KEYS);
    }

    private static BenchConfig parse(String... keyValues) {
        Map<String, String> parameters = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            parameters.put(keyValues[i], keyValues[i + 1]);
        }
        return parse(parameters, Map.of());
    }

    @Test
    void withoutAPoolTheEmbeddedClusterAndItsSmallDefaultsAreUsed() {
        BenchConfig config = parse();

        assertThat(config.embedded()).isTrue();
        assertThat(config.pools()).containsExactly(BenchConfig.EMBEDDED_POOL);
        assertThat(config.concurrency()).containsExactly(1, 2);
        assertThat(config.runtime()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.cleanup()).isEqualTo(CleanupMode.ALWAYS);
    }

    @Test
    void anEmptySettingIsRefusedNotReadAsItsDefault() {
        assertThatThrownBy(() -> parse("vmbench.runtime", "")).isInstanceOf(ConfigException.class).hasMessage(
                "Setting vmbench.runtime (env VMBENCH_RUNTIME) = [] is set but empty (an unset CI variable, as in "
                        + "-Dvmbench.runtime=$VAR?): an empty setting is never read as its default. Fix: give it a "
                        + "value, or leave it out to use its default.");
        assertThatThrownBy(() -> parse(Map.of(), Map.of("VMBENCH_POOL", "  "))).hasMessageStartingWith(
                "Setting pool (env VMBENCH_POOL) = [] is set but empty");
        assertThatThrownBy(() -> parse("vmbench.threshold.min-iops", "")).hasMessageStartingWith(
                "Setting vmbench.threshold.min-iops = [] is set but empty");
    }

    @Test
    void aNumberTooLargeIsNamedNotAJavaError() {
        assertThatThrownBy(() -> parse("vmbench.qd.p99Target", "99999999999999999999999ms")).isInstanceOf(
                ConfigException.class).hasMessageStartingWith("Setting vmbench.qd.p99Target (env VMBENCH_QD_P99TARGET) "
                        + "= [99999999999999999999999ms] has a number too large to be a setting's value. Fix: ")
                .hasMessageNotContaining("For input string");
    }

    @Test
    void theGuestImagesMirrorVariableIsOneVmbenchKnows() {
        org.assertj.core.api.Assertions.assertThatCode(() -> BenchProperties.requireKnown(List.of(
                "VMBENCH_DEBIAN_MIRROR"), THRESHOLD_KEYS)).doesNotThrowAnyException();
    }

    @Test
    void aPoolSelectsTheRealClusterAndItsDefaults() {
        BenchConfig config = parse("pool", "ocs-storagecluster-ceph-rbd, fast-nvme");

        assertThat(config.embedded()).isFalse();
        assertThat(config.pools()).containsExactly("ocs-storagecluster-ceph-rbd", "fast-nvme");
        assertThat(config.vmSizes()).containsExactly(VmSize.parse("medium"));
        assertThat(config.blockSizes()).containsExactly(BlockSize.parse("4k"), BlockSize.parse("64k"),
                BlockSize.parse("1m"));
        assertThat(config.runtime()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.fileSizeBytes()).isEqualTo(4L << 30);
    }

    @Test
    void environmentVariablesApplyWhenNoParameterIsGiven() {
        BenchConfig config = parse(Map.of("vmbench.runtime", "45s"),
                Map.of("VMBENCH_POOL", "gold", "VMBENCH_RUNTIME", "10s", "VMBENCH_CLEANUP", "on-success",
                        "VMBENCH_THRESHOLD_MAX_CLAT_P99", "20ms"));

        assertThat(config.pools()).containsExactly("gold");
        assertThat(config.runtime()).as("a parameter beats the environment").isEqualTo(Duration.ofSeconds(45));
        assertThat(config.cleanup()).isEqualTo(CleanupMode.ON_SUCCESS);
        assertThat(config.thresholdOverrides()).containsExactly(Map.entry("max-clat-p99", "20ms"));
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', textBlock = """
            vmbench.runtime     | fast       | Setting vmbench.runtime (env VMBENCH_RUNTIME) = [fast] is not a duration: write it like 30s, 2m or 1h. Fix: set -Dvmbench.runtime=<value> or VMBENCH_RUNTIME=<value>; e.g. 2m.
            vmbench.runtime     | 500ms      | Setting vmbench.runtime (env VMBENCH_RUNTIME) = [500ms] is shorter than the minimum of 1s. Fix: set -Dvmbench.runtime=<value> or VMBENCH_RUNTIME=<value>; e.g. 2m.
            vmbench.runtime     | 1500ms     | Setting vmbench.runtime (env VMBENCH_RUNTIME) = [1500ms] is not a whole number of seconds, and fio would silently round it to 1s: write whole seconds like 2s. Fix: set -Dvmbench.runtime=<value> or VMBENCH_RUNTIME=<value>; e.g. 2m.
            vmbench.runtime     | 99999999999999999h | Setting vmbench.runtime (env VMBENCH_RUNTIME) = [99999999999999999h] is longer than a year, which no benchmark step needs: write it like 30s, 2m or 1h. Fix: set -Dvmbench.runtime=<value> or VMBENCH_RUNTIME=<value>; e.g. 2m.
            vmbench.concurrency | 1,0        | Setting vmbench.concurrency (env VMBENCH_CONCURRENCY) = [1,0] has item [0] that must be a whole number of VMs from 1 to 100. Fix: set -Dvmbench.concurrency=<value> or VMBENCH_CONCURRENCY=<value>; e.g. 1,4,8.
            vmbench.concurrency | 2,2        | Setting vmbench.concurrency (env VMBENCH_CONCURRENCY) = [2,2] has item [2] that lists [2] twice. Fix: set -Dvmbench.concurrency=<value> or VMBENCH_CONCURRENCY=<value>; e.g. 1,4,8.
            vmbench.vmSizes     | huge       | Setting vmbench.vmSizes (env VMBENCH_VMSIZES) = [huge] is not a VM size: use one of small, medium, large, xlarge or CPUSxMEMORY like 4x8Gi. Fix: set -Dvmbench.vmSizes=<value> or VMBENCH_VMSIZES=<value>; e.g. small,large or 4x8Gi.
            vmbench.blockSizes  | 4k,1000    | Setting vmbench.blockSizes (env VMBENCH_BLOCKSIZES) = [4k,1000] has item [1000] that is not a block size: use a multiple of 512 bytes up to 64m, written like 4k, 64k or 1m. Fix: set -Dvmbench.blockSizes=<value> or VMBENCH_BLOCKSIZES=<value>; e.g. 4k,128k.
            vmbench.pvcSizes    | 50GB       | Setting vmbench.pvcSizes (env VMBENCH_PVCSIZES) = [50GB] is not a Kubernetes storage quantity: write it like 50Gi or 1Ti. Fix: set -Dvmbench.pvcSizes=<value> or VMBENCH_PVCSIZES=<value>; e.g. 50Gi,200Gi.
            vmbench.cleanup     | sometimes  | Setting vmbench.cleanup (env VMBENCH_CLEANUP) = [sometimes] must be one of always, on-success, never. Fix: set -Dvmbench.cleanup=<value> or VMBENCH_CLEANUP=<value>; e.g. on-success.
            vmbench.volumeMode  | block      | Setting vmbench.volumeMode (env VMBENCH_VOLUMEMODE) = [block] must be Filesystem or Block (case matters). Fix: set -Dvmbench.volumeMode=<value> or VMBENCH_VOLUMEMODE=<value>; e.g. Block.
            vmbench.dataSource  | fedora     | Setting vmbench.dataSource (env VMBENCH_DATASOURCE) = [fedora] must be NAMESPACE/NAME of a DataSource. Fix: set -Dvmbench.dataSource=<value> or VMBENCH_DATASOURCE=<value>; e.g. my-images/rhel9.
            vmbench.namespace   | Storage_QA | Setting vmbench.namespace (env VMBENCH_NAMESPACE) = [Storage_QA] is not a namespace name (lower-case DNS label, ≤ 63). Fix: set -Dvmbench.namespace=<value> or VMBENCH_NAMESPACE=<value>; e.g. storage-qa.
            vmbench.baselineLatencyRise | 150%  | Setting vmbench.baselineLatencyRise (env VMBENCH_BASELINELATENCYRISE) = [150%] is not a percentage from 0 to 100: write it like 10%. Fix: set -Dvmbench.baselineLatencyRise=<value> or VMBENCH_BASELINELATENCYRISE=<value>; e.g. 50%.
            vmbench.embedded.guests | vm   | Setting vmbench.embedded.guests (env VMBENCH_EMBEDDED_GUESTS) = [vm] must be sandbox or qemu. Fix: set -Dvmbench.embedded.guests=<value> or VMBENCH_EMBEDDED_GUESTS=<value>; e.g. qemu.
            vmbench.iodepth     | 0          | Setting vmbench.iodepth (env VMBENCH_IODEPTH) = [0] must be a whole number from 1 to 65536. Fix: set -Dvmbench.iodepth=<value> or VMBENCH_IODEPTH=<value>; e.g. 16.
            vmbench.baselinePools | rep3     | Setting vmbench.baselinePools (env VMBENCH_BASELINEPOOLS) = [rep3] is not ALIAS=STORAGECLASS (a bash-suite pool alias, then a StorageClass name). Fix: set -Dvmbench.baselinePools=<value> or VMBENCH_BASELINEPOOLS=<value>; e.g. rep3=ocs-storagecluster-ceph-rbd.
            vmbench.logInterval | 50ms       | Setting vmbench.logInterval (env VMBENCH_LOGINTERVAL) = [50ms] is not 0 or a whole number of milliseconds from 100ms: write it like 1s or 500ms. Fix: set -Dvmbench.logInterval=<value> or VMBENCH_LOGINTERVAL=<value>; e.g. 100ms.
            pool                | Gold_Tier  | Setting pool (env VMBENCH_POOL) = [Gold_Tier] is not a StorageClass name (lower-case DNS subdomain). Fix: set -Dpool=<value> or VMBENCH_POOL=<value>; e.g. -Dpool=ocs-storagecluster-ceph-rbd.
            """)
    void aBadValueNamesKeyValueRuleAndFix(String key, String value, String message) {
        assertThatThrownBy(() -> parse(key, value)).isInstanceOf(ConfigException.class).hasMessage(message);
    }

    @Test
    void aPresetSetsTheMatrixAndAnExplicitSettingStillWins() {
        BenchConfig quick = parse("pool", "gold", "vmbench.preset", "quick", "vmbench.blockSizes", "8k");

        assertThat(quick.concurrency()).containsExactly(1);
        assertThat(quick.profiles()).containsExactly("random-rw", "sequential-rw");
        assertThat(quick.runtime()).isEqualTo(Duration.ofSeconds(120));
        assertThat(quick.blockSizes()).containsExactly(BlockSize.parse("8k"));
        assertThat(parse("pool", "gold", "vmbench.preset", "full").concurrency()).containsExactly(1, 5, 10);
    }

    @Test
    void realGuestsAreTheEmbeddedClustersAndSlowerToBoot() {
        BenchConfig qemu = parse("vmbench.embedded.guests", "qemu");
        assertThat(qemu.readyTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(qemu.concurrency()).containsExactly(1);
        assertThat(parse("vmbench.embedded.guests", "qemu", "vmbench.readyTimeout", "20m").readyTimeout())
                .isEqualTo(Duration.ofMinutes(20));
        assertThatThrownBy(() -> parse("pool", "gold", "vmbench.embedded.guests", "qemu")).hasMessage("Setting "
                + "vmbench.embedded.guests (env VMBENCH_EMBEDDED_GUESTS) = [qemu] chooses the embedded cluster's guests, "
                + "and pool [gold] selects a real one; remove it. Fix: set -Dvmbench.embedded.guests=<value> or "
                + "VMBENCH_EMBEDDED_GUESTS=<value>; e.g. qemu.");
    }

    @Test
    void theBashSuitesModesAreItsMatrices() {
        BenchConfig full = parse("pool", "gold", "vmbench.preset", "full");
        assertThat(full.vmSizes()).extracting(VmSize::cpus, VmSize::memory).containsExactly(
                org.assertj.core.groups.Tuple.tuple(2, "4Gi"), org.assertj.core.groups.Tuple.tuple(4, "8Gi"),
                org.assertj.core.groups.Tuple.tuple(8, "16Gi"));
        assertThat(full.pvcSizes()).containsExactly("150Gi", "500Gi", "1000Gi");
        assertThat(full.profiles()).containsExactly("sequential-rw", "random-rw", "mixed-70-30", "db-oltp",
                "app-server", "data-pipeline");
        assertThat(full.blockSizes()).extracting(Object::toString).containsExactly("4k", "64k", "1m");
        assertThat(full.runtime()).isEqualTo(Duration.ofSeconds(120));
        assertThat(full.ramp()).isEqualTo(Duration.ofSeconds(10));

        BenchConfig rank = parse("pool", "gold", "vmbench.preset", "rank");
        assertThat(rank.vmSizes()).extracting(VmSize::name).containsExactly("medium");
        assertThat(rank.runtime()).isEqualTo(Duration.ofSeconds(60));
        VmGroupSpec group = new VmGroupSpec("gold", rank.vmSizes().get(0), "150Gi", 1);
        assertThat(java.util.stream.Stream.of("random-rw:4k", "random-rw:1m", "sequential-rw:4k", "sequential-rw:1m",
                "mixed-70-30:4k", "mixed-70-30:1m").filter(p -> rank.selection().selects(group, new FioPermutation(
                        p.split(":")[0], BlockSize.parse(p.split(":")[1]))))).containsExactly("random-rw:4k",
                                "sequential-rw:1m", "mixed-70-30:4k");
    }

    @Test
    void presetsAreForRealClustersAndMustExist() {
        assertThatThrownBy(() -> parse("vmbench.preset", "full")).hasMessage("Setting vmbench.preset (env "
                + "VMBENCH_PRESET) = [full] sizes a real cluster's matrix, and no pool is set, so the embedded cluster "
                + "runs its own small one; set -Dpool or remove it. Fix: set -Dvmbench.preset=<value> or "
                + "VMBENCH_PRESET=<value>; e.g. quick.");
        assertThatThrownBy(() -> parse("pool", "gold", "vmbench.preset", "huge")).hasMessage("Setting vmbench.preset "
                + "(env VMBENCH_PRESET) = [huge] is not a preset: use gate, quick, overview, rank or full. Fix: set "
                + "-Dvmbench.preset=<value> or VMBENCH_PRESET=<value>; e.g. quick.");
    }

    @Test
    void aTestFileThatDoesNotFitThePvcIsRefused() {
        assertThatThrownBy(() -> parse("vmbench.pvcSizes", "1Gi,100Mi", "vmbench.fileSize", "512MiB"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Setting vmbench.fileSize (env VMBENCH_FILESIZE) = [512MiB] does not fit the data disk: "
                        + "the test file plus 10 % headroom must fit in every PVC size, and [100Mi] is too small; use a "
                        + "smaller file or a larger vmbench.pvcSizes. Fix: set -Dvmbench.fileSize=<value> or "
                        + "VMBENCH_FILESIZE=<value>; e.g. 8GiB.");
    }

    @Test
    void embeddedFaultsAreRefusedOnARealCluster() {
        assertThatThrownBy(() -> parse("pool", "gold", "vmbench.embedded.faults", "unschedulable"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Setting vmbench.embedded.faults (env VMBENCH_EMBEDDED_FAULTS) = [unschedulable] acts out "
                        + "failures on the embedded cluster only, and pool [gold] selects a real one; remove it. Fix: "
                        + "set -Dvmbench.embedded.faults=<value> or VMBENCH_EMBEDDED_FAULTS=<value>; e.g. "
                        + "unschedulable,fio-fails.");
    }

    @Test
    void quantitiesAndFileSizesUseTheirUnits() {
        assertThat(BenchConfig.quantityBytes("50Gi")).isEqualTo(50L << 30);
        assertThat(BenchConfig.quantityBytes("2T")).isEqualTo(2_000_000_000_000L);
        assertThat(BenchConfig.quantityBytes("1500")).isEqualTo(1500);
        assertThat(BenchConfig.fileSize("64MiB")).isEqualTo(64L << 20);
        assertThat(BenchConfig.fileSize("4g")).isEqualTo(4L << 30);
        assertThat(BenchConfig.duration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(BenchConfig.duration("90")).isEqualTo(Duration.ofSeconds(90));
    }
}
