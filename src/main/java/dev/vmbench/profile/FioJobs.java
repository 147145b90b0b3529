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

    public FioJobs(ProfileLibrary profiles, Templates templates, Duration runtime, Duration ramp, long fileSizeBytes,
            Duration margin) {
        this.margin = margin;
        this.profiles = profiles;
        this.templates = templates;
        this.runtime = runtime;
        this.ramp = ramp;
        this.fileSizeBytes = fileSizeBytes;
    }

    public String render(FioPermutation permutation) {
        FioProfile profile = profiles.get(permutation.profile());
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
                "size", Long.toString(fileSizeBytes),
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
        String[] bodies = SECTION.split(sections);
        long phases = 1;
        for (int i = 2; i < bodies.length; i++) {
            if (bodies[i].lines().map(String::trim).anyMatch(l -> l.equals("stonewall") || l.equals("wait_for_previous"))) {
                phases++;
            }
        }
        return phases;
    }

    /** How long the permutation's fio runs when nothing goes wrong: its phases back to back. */
    public Duration expected(FioPermutation permutation) {
        return runtime.plus(ramp).multipliedBy(phases(profiles.get(permutation.profile()).sections()));
    }

    /** How long laying out the test file may take: its size at a slow disk's pace, plus the margin. */
    public Duration prefillBudget() {
        return Duration.ofSeconds(fileSizeBytes / LAYOUT_BYTES_PER_SECOND).plus(margin);
    }
}
