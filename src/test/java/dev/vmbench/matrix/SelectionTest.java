package dev.vmbench.matrix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class SelectionTest {

    private static final VmGroupSpec GOLD_8 = new VmGroupSpec("gold", VmSize.parse("medium"), "50Gi", 8);
    private static final VmGroupSpec SILVER_1 = new VmGroupSpec("silver", VmSize.parse("small"), "50Gi", 1);
    private static final FioPermutation DB = new FioPermutation("db-oltp", BlockSize.NATIVE);
    private static final FioPermutation RANDOM_1M = new FioPermutation("random-rw", BlockSize.parse("1m"));

    @Test
    void noPatternsSelectEverything() {
        assertThat(Selection.ALL.selects(GOLD_8, DB)).isTrue();
    }

    @Test
    void aFilterIsAGlobPerFieldAndMissingFieldsMatchAnything() {
        Selection eightVmDatabases = new Selection(List.of("*:*:*:8:db-*"), List.of());

        assertThat(eightVmDatabases.selects(GOLD_8, DB)).isTrue();
        assertThat(eightVmDatabases.selects(GOLD_8, RANDOM_1M)).isFalse();
        assertThat(eightVmDatabases.selects(SILVER_1, DB)).isFalse();
        assertThat(new Selection(List.of("s?lver"), List.of()).selects(SILVER_1, RANDOM_1M)).isTrue();
    }

    @Test
    void anyFilterMaySelectAndAnyExcludeRemoves() {
        Selection selection = new Selection(List.of("gold", "silver:small"), List.of("*:*:*:*:*:1m"));

        assertThat(selection.selects(GOLD_8, DB)).isTrue();
        assertThat(selection.selects(SILVER_1, DB)).isTrue();
        assertThat(selection.selects(SILVER_1, RANDOM_1M)).isFalse();
    }

    @Test
    void aPatternWithTooManyFieldsIsRefused() {
        assertThatThrownBy(() -> new Selection(List.of("a:b:c:d:e:f:g"), List.of()))
                .hasMessage("has pattern [a:b:c:d:e:f:g], which is not pool:size:pvc:concurrency:profile:bs with at "
                        + "most six fields");
    }
}
