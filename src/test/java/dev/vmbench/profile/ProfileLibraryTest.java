package dev.vmbench.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmbench.matrix.BlockSize;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.template.Templates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProfileLibraryTest {

    private static final ProfileLibrary SHIPPED = ProfileLibrary.load(Path.of("test-profiles/profiles"));

    @Test
    void theSevenShippedProfilesLoadAndKnowWhetherTheyTakeABlockSize() {
        assertThat(SHIPPED.names()).containsExactly("app-server", "data-pipeline", "db-oltp", "mixed-70-30",
                "mixed-70-30-capped", "random-rw", "sequential-rw");
        assertThat(SHIPPED.select(List.of("random-rw", "db-oltp"))).extracting(FioProfile::takesBlockSize)
                .containsExactly(true, false);
        assertThat(SHIPPED.get("db-oltp").description()).startsWith("An OLTP database");
    }

    @Test
    void aJobIsTheSharedGlobalPlusTheProfileAtItsBlockSize() {
        FioJobs jobs = new FioJobs(SHIPPED, Templates.in(Path.of("templates")), Duration.ofSeconds(30),
                Duration.ofSeconds(5), 1L << 30, Duration.ofMinutes(1));

        String job = jobs.render(new FioPermutation("random-rw", BlockSize.parse("64k")));

        assertThat(job).contains("[global]", "ioengine=libaio", "direct=1", "size=1073741824", "runtime=30",
                "ramp_time=5", "[rand-read]", "[rand-write]").doesNotContain("{{");
        assertThat(job.lines().filter(l -> l.equals("bs=64k"))).hasSize(2);
        assertThat(jobs.budget(new FioPermutation("random-rw", BlockSize.parse("64k"))))
                .as("two stonewalled sections of 35 s plus the margin").isEqualTo(Duration.ofSeconds(130));
        assertThat(jobs.prefillBudget()).isEqualTo(Duration.ofSeconds(51 + 60));
    }

    @Test
    void sectionsRunTogetherUnlessALaterOneIsStonewalled() {
        assertThat(FioJobs.phases(SHIPPED.get("random-rw").sections())).isEqualTo(2);
        assertThat(FioJobs.phases(SHIPPED.get("sequential-rw").sections())).isEqualTo(2);
        assertThat(FioJobs.phases(SHIPPED.get("db-oltp").sections())).as("pages and redo log together").isEqualTo(1);
        assertThat(FioJobs.phases(SHIPPED.get("data-pipeline").sections())).isEqualTo(1);
        assertThat(FioJobs.phases("[a]\nrw=read\n[b]\nrw=write\nwait_for_previous\n[c]\nrw=read\n")).isEqualTo(2);
    }

    @Test
    void anUnknownProfileListsTheKnownOnes() {
        assertThatThrownBy(() -> SHIPPED.select(List.of("random-rw", "randomrw")))
                .hasMessage("Profile [randomrw] is not in test-profiles/profiles. Fix: use one of app-server, "
                        + "data-pipeline, db-oltp, mixed-70-30, mixed-70-30-capped, random-rw, sequential-rw, or add "
                        + "randomrw.fio there.");
    }

    @Test
    void aBrokenProfileTemplateNamesTheProfile(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("broken.fio"), "; unclosed section\n[r]\nrw=read\nbs={{#bs}}\n");
        FioJobs jobs = new FioJobs(ProfileLibrary.load(dir), Templates.in(Path.of("templates")), Duration.ofSeconds(1),
                Duration.ZERO, 1L << 20, Duration.ofSeconds(1));

        assertThatThrownBy(() -> jobs.render(new FioPermutation("broken", BlockSize.parse("4k"))))
                .hasMessageStartingWith("Profile [broken.fio] is not a valid template: ")
                .hasMessageEndingWith(". Fix: the only placeholder a profile may use is {{bs}}.");
    }

    @Test
    void aProfileMayNotSetWhatTheSharedGlobalOwns(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("greedy.fio"), "; writes too much\n[big]\nrw=write\nsize=500g\n");

        assertThatThrownBy(() -> ProfileLibrary.load(dir))
                .hasMessage("greedy.fio:4: option [size] is set by the shared [global] of "
                        + "templates/fio-job.fio.mustache. Fix: remove it from the profile (use -Dvmbench.fileSize, "
                        + "-Dvmbench.runtime or -Dvmbench.ramp instead).");
    }
}
