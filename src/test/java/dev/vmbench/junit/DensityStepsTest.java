package dev.vmbench.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

/** The order of a density search's VM counts: doubling, then bisecting. */
class DensityStepsTest {

    /** The counts a search tries when a step of {@code n} VMs is within the SLA exactly when {@code within(n)}. */
    private static List<Integer> counts(int maxVms, IntPredicate within) {
        List<DensitySearch.Step> steps = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (OptionalInt next = DensitySearch.next(steps, maxVms); next.isPresent();
                next = DensitySearch.next(steps, maxVms)) {
            int n = next.getAsInt();
            counts.add(n);
            steps.add(new DensitySearch.Step(n, 500, 1e6, 1e6, within.test(n)));
        }
        return counts;
    }

    @Test
    void doublesUpToTheMaximumWhileEveryStepHolds() {
        assertThat(counts(4, n -> true)).containsExactly(1, 2, 4);
        assertThat(counts(10, n -> true)).containsExactly(1, 2, 4, 8, 10);
        assertThat(counts(1, n -> true)).containsExactly(1);
    }

    @Test
    void bisectsBetweenTheLastStepWithinAndTheFirstBeyond() {
        assertThat(counts(64, n -> n <= 6)).containsExactly(1, 2, 4, 8, 6, 7);
        assertThat(counts(64, n -> n <= 24)).containsExactly(1, 2, 4, 8, 16, 32, 24, 28, 26, 25);
        assertThat(DensitySearch.capacity(List.of(new DensitySearch.Step(8, 500, 1, 1, true),
                new DensitySearch.Step(16, 500, 1, 1, false)))).isEqualTo(8);
    }

    @Test
    void oneVmBeyondTheSlaEndsTheSearchAtNone() {
        assertThat(counts(64, n -> false)).containsExactly(1);
    }
}
