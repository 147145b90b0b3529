package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmbench.cluster.VmGroup;
import dev.vmbench.junit.QueueDepthSweep;
import dev.vmbench.junit.VmBenchmark;
import dev.vmbench.junit.VmGroupSource;
import dev.vmbench.matrix.VmGroupSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;

/**
 * Where latency turns as the queue deepens: per VM group, {@code vmbench.qd.profile} at every depth of
 * {@code vmbench.qd.depths} on the same VMs and file; {@code qd.csv}, a chart, the knee and the highest IOPS within
 * {@code vmbench.qd.p99Target}. Not part of the gate:
 * {@code mvn verify -DskipUnitTests -Dit.test=QueueDepthIT [-Dpool=<StorageClass>]}.
 */
@VmBenchmark
@ParameterizedClass(name = "{0}", allowZeroInvocations = true)
@VmGroupSource
class QueueDepthIT {

    @Parameter
    VmGroupSpec group;

    @Test
    void someQueueDepthMeetsTheLatencyTarget(VmGroup vms, QueueDepthSweep sweep) {
        QueueDepthSweep.Result result = sweep.run(vms);
        assertThat(result.best()).as(result.headline()).isPresent();
    }
}
