package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmbench.cluster.Capability;
import dev.vmbench.cluster.CapabilityCheck;
import dev.vmbench.junit.CapabilityGroupSource;
import dev.vmbench.junit.StorageCapabilities;
import dev.vmbench.junit.VmBenchmark;
import dev.vmbench.matrix.VmGroupSpec;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;

/**
 * What VMs live by besides speed, per StorageClass on one VM: an online snapshot, a restore that brings back what was
 * synced before it, a clone of the data disk, an online expansion the guest sees, and a live migration under load.
 * Each test passes, fails (it went wrong, lost data, or took longer than its max-… threshold) or is skipped with the
 * reason the StorageClass cannot do it; the matrix is in the run summary. In order: the restore restores the snapshot.
 */
@VmBenchmark
@ParameterizedClass(name = "{0}", allowZeroInvocations = true)
@CapabilityGroupSource
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StorageCapabilitiesIT {

    @Parameter
    VmGroupSpec group;

    @Test
    @Order(1)
    void snapshot(StorageCapabilities storage) {
        assertWorked(storage.check(Capability.SNAPSHOT));
    }

    @Test
    @Order(2)
    void restore(StorageCapabilities storage) {
        assertWorked(storage.check(Capability.RESTORE));
    }

    @Test
    @Order(3)
    void clone(StorageCapabilities storage) {
        assertThat(storage.check(Capability.CLONE).details()).as("the clone strategy CDI used").containsKey("strategy");
    }

    @Test
    @Order(4)
    void expansion(StorageCapabilities storage) {
        assertWorked(storage.check(Capability.EXPANSION));
    }

    @Test
    @Order(5)
    void migration(StorageCapabilities storage) {
        assertThat(storage.check(Capability.MIGRATION).details()).as("the longest I/O stall").containsKey("io-stall-ms");
    }

    private static void assertWorked(CapabilityCheck check) {
        assertThat(check.outcome()).as(check.capability().spelling()).isEqualTo(CapabilityCheck.Outcome.WORKED);
    }
}
