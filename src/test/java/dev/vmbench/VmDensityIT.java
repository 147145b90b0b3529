package dev.vmbench;

import dev.vmbench.junit.DensityGroupSource;
import dev.vmbench.junit.DensitySearch;
import dev.vmbench.junit.VmBenchmark;
import dev.vmbench.matrix.VmGroupSpec;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;

/**
 * How many VMs a StorageClass holds within a latency SLA: per StorageClass × VM size × PVC size, a group grown
 * 1, 2, 4 … VMs (then bisected) running {@code vmbench.density.profile}, each step a test that passes while every
 * VM's read and write p99 stays within {@code vmbench.density.p99Sla}. Not part of the gate:
 * {@code mvn verify -DskipUnitTests -Dit.test=VmDensityIT -Dpool=<StorageClass>}.
 */
@VmBenchmark
@ParameterizedClass(name = "{0}", allowZeroInvocations = true)
@DensityGroupSource
class VmDensityIT {

    @Parameter
    VmGroupSpec group;

    @TestFactory
    Stream<DynamicTest> vmsWithinTheLatencySla(DensitySearch density) {
        return density.steps();
    }
}
