package dev.vmbench.profile;

import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.template.Templates;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Turns a permutation into the fio job file a guest runs: the profile's sections (with {@code {{bs}}}
 * filled in) under the shared {@code [global]} of {@code templates/fio-job.fio.mustache}.
 */
public final class FioJobs {

    private static final Pattern SECTION = Pattern.compile("(?m)^\\[[^\\]]+\\]");
    /** Layout of the test file is assumed no slower than this; slower storage hits the fio timeout. */
    private static final long LAYOUT_BYTES_PER_SECOND = 20L * 1024 * 1024;

    private final ProfileLibrary profiles;
    private final Templates templates;
    private final Duration runtime;
    private final Duration ramp;
    private final long fileSizeBytes;
    private final Duration margin;
    private final int iodepth;
    private final int numjobs;
    private final long rateIops;
    private final Duration logInterval;
    /** The smallest data disk the jobs run on, when known: a job of several files shares it (0: not fitted). */
    private final long diskBytes;

    public FioJobs(ProfileLibrary profiles, Templates templates, Duration runtime, Duration ramp, long fileSizeBytes,
            Duration margin) {
        this(profiles, templates, runtime, ramp, fileSizeBytes, margin, 32, 4, 0);
    }

    /**
     * @param iodepth  {@code ${IODEPTH}} of job files
     * @param numjobs  {@code ${NUMJOBS}} of job files
     * @param rateIops {@code ${RATE_IOPS_LINE}}: {@code rate_iops=N}, or nothing when 0
     */
    public FioJobs(ProfileLibrary profiles, Templates templates, Duration runtime, Duration ramp, long fileSizeBytes,
            Duration margin, int iodepth, int numjobs, long rateIops) {
        this(profiles, templates, runtime, ramp, fileSizeBytes, margin, iodepth, numjobs, rateIops, Duration.ZERO);
    }

    /** @param logInterval fio's interval logs (IOPS, bandwidth, completion latency) averaged over this; ZERO: none */
    public FioJobs(ProfileLibrary profiles, Templates templates, Duration runtime, Duration ramp, long fileSizeBytes,
            Duration margin, int iodepth, int numjobs, long rateIops, Duration logInterval) {
        this(profiles, templates, runtime, ramp, fileSizeBytes, margin, iodepth, numjobs, rateIops, logInterval, 0);
    }

    private FioJobs(ProfileLibrary profiles, Templates templates, Duration runtime, Duration ramp, long fileSizeBytes,
            Duration margin, int iodepth, int numjobs, long rateIops, Duration logInterval, long diskBytes) {
        this.diskBytes = diskBytes;
        this.logInterval = logInterval;
        this.iodepth = iodepth;
        this.numjobs = numjobs;
        this.rateIops = rateIops;
        this.margin = margin;
        this.profiles = profiles;
        this.templates = templates;
        this.runtime = runtime;
        this.ramp = ramp;
        this.fileSizeBytes = fileSizeBytes;
    }

    /**
     * The same jobs, each file of a job that lays out several sized so they all fit {@code smallestPvcBytes} with 10 %
     * to spare (whole MiB, never above {@code vmbench.fileSize}): the bash suite's data-pipeline lays out 18 files,
     * which at the default 4 GiB would not fit the default 50Gi disk. The smallest PVC decides, so every group of a run
     * runs the same job.
     */
    public FioJobs fittedTo(long smallestPvcBytes) {
        return new FioJobs(profiles, templates, runtime, ramp, fileSizeBytes, margin, iodepth, numjobs, rateIops,
                logInterval, smallestPvcBytes);
    }

    /** The size of each file the permutation's job lays out: {@code vmbench.fileSize}, or less to fit the disk. */
    public long fileSize(FioPermutation permutation) {
        int files = files(permutation).size();
        if (files <= 1 || diskBytes <= 0) {
            return fileSizeBytes;
        }
        long fit = diskBytes * 10 / 11 / files >> 20 << 20;
        return Math.min(fileSizeBytes, fit);
    }

    /**
     * The job file of a permutation. It ends with two comment lines the guest reads to tell whether the files are
     * laid out already: {@code ; vmbench-files: NAME…} and {@code ; vmbench-file-size: BYTES}; and, when interval
     * logs are on, {@code ; vmbench-log-msec: N}, which makes the guest run fio with them.
     */
    public String render(FioPermutation permutation) {
        FioProfile profile = profiles.get(permutation.profile());
        if (permutation.iodepth() > 0 && !(profile.jobFile() && profile.sections().contains("${IODEPTH}"))) {
            throw new IllegalArgumentException("Profile [" + profile.name() + "] does not take its queue depth from "
                    + "the run (no iodepth=${IODEPTH}), so it cannot run at queue depth " + permutation.iodepth()
                    + ". Fix: sweep a job-file profile that writes iodepth=${IODEPTH}, such as random-rw.");
        }
        long size = fileSize(permutation);
        String job = job(permutation, size);
        return job + (job.endsWith("\n") ? "" : "\n") + "; vmbench-files: " + String.join(" ", JobFile.files(job))
                + "\n; vmbench-file-size: " + size + "\n"
                + (logInterval.isZero() ? "" : "; vmbench-log-msec: " + logInterval.toMillis() + "\n");
    }

    /** What each job section of the permutation's job asks fio for: section name → read, write, trim. */
    public java.util.Map<String, java.util.Set<String>> directions(FioPermutation permutation) {
        return dev.vmbench.fio.JobDirections.of(render(permutation));
    }

    /** The interval fio's logs average over; ZERO when they are off. */

    public Duration logInterval() {
        return logInterval;
    }

    /** The files one VM's job lays out, each of {@link #fileSize}. */
    public java.util.List<String> files(FioPermutation permutation) {
        return JobFile.files(job(permutation, fileSizeBytes));
    }

    private String job(FioPermutation permutation, long fileSize) {
        FioProfile profile = profiles.get(permutation.profile());
        if (profile.jobFile()) {
            return "; vmbench job: profile " + profile.name() + ", block size " + permutation.blockSize()
                    + " (a whole job file, placeholders filled in)\n" + JobFile.fill(profile.sections(), Map.of(
                            "RUNTIME", Long.toString(runtime.toSeconds()),
                            "RAMP_TIME", Long.toString(ramp.toSeconds()),
                            "IODEPTH", Integer.toString(permutation.iodepth() > 0 ? permutation.iodepth() : iodepth),
                            "NUMJOBS", Integer.toString(numjobs),
                            "FILE_SIZE", Long.toString(fileSize),
                            "BLOCK_SIZE", permutation.blockSize().toString(),
                            "RATE_IOPS_LINE", rateIops > 0 ? "rate_iops=" + rateIops : ""));
        }
        String sections;
        try {
            sections = templates.renderText(profile.name() + ".fio", profile.sections(),
                    Map.of("bs", permutation.blockSize().toString()));
        } catch (com.github.mustachejava.MustacheException e) {
            throw new IllegalArgumentException("Profile [" + profile.name() + ".fio] is not a valid template: "
                    + e.getMessage() + ". Fix: the only placeholder a profile may use is {{bs}}.", e);
        }
        return templates.render("fio-job.fio.mustache", Map.of(
                "profile", profile.name(),
                "blockSize", permutation.blockSize().toString(),
                "size", Long.toString(fileSize),
                "runtimeSeconds", Long.toString(runtime.toSeconds()),
                "rampSeconds", Long.toString(ramp.toSeconds()),
                "profileSections", sections));
    }

    /**
     * How long a measuring fio run may take before it counts as hung: its phases back to back (runtime + ramp
     * each), plus the configured margin.
     */
    public Duration budget(FioPermutation permutation) {
        return expected(permutation).plus(margin);
    }

    /**
     * How many times fio's clock restarts: sections run together unless a later one is marked {@code stonewall}
     * (or {@code wait_for_previous}), which waits for everything before it.
     */
    static long phases(String sections) {
        // a job file's [global] is no job: its options apply to every section
        String[] bodies = SECTION.split(sections.replaceAll("(?m)^\\[global\\]$[^\\[]*", ""));
        long phases = 1;
        for (int i = 2; i < bodies.length; i++) {
            if (bodies[i].lines().map(String::trim).anyMatch(l -> l.equals("stonewall") || l.equals("wait_for_previous"))) {
                phases++;
            }
        }
        return phases;
    }

    /** fio's warm-up per phase, not measured. */
    public Duration ramp() {
        return ramp;
    }

    /** How many times fio's clock restarts in the permutation's job. */
    public long phases(FioPermutation permutation) {
        return phases(profiles.get(permutation.profile()).sections());
    }

    /** How long the permutation's fio runs when nothing goes wrong: its phases back to back. */
    public Duration expected(FioPermutation permutation) {
        return runtime.plus(ramp).multipliedBy(phases(permutation));
    }

    /** How long laying out the permutation's files may take: their size at a slow disk's pace, plus the margin. */
    public Duration prefillBudget(FioPermutation permutation) {
        return Duration.ofSeconds(files(permutation).size() * fileSize(permutation) / LAYOUT_BYTES_PER_SECOND)
                .plus(margin);
    }
}
