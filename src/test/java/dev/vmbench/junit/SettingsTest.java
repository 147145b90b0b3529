package dev.vmbench.junit;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** A resumed run must measure what its first session measured: every difference is named, files by digest. */
class SettingsTest {

    private static final String A = "a".repeat(64);
    private static final String B = "b".repeat(64);

    @Test
    void changedSettingsAndFilesAreNamedEach() {
        assertThatThrownBy(() -> Settings.requireSamePlan("r1",
                Map.of("profile db-oltp (p/db-oltp.fio)", A, "vmbench.runtime", "60s"),
                Map.of("profile db-oltp (p/db-oltp.fio)", B, "vmbench.runtime", "60s", "vmbench.threshold.min-iops",
                        "20k")))
                .hasMessageContaining("profile db-oltp (p/db-oltp.fio) changed (content digest aaaaaaaaaaaa → "
                        + "bbbbbbbbbbbb); vmbench.threshold.min-iops was [unset], now [20k].");
        assertThatCode(() -> Settings.requireSamePlan("r1", Map.of("vmbench.runtime", "60s"),
                Map.of("vmbench.runtime", "60s"))).doesNotThrowAnyException();
    }
}
