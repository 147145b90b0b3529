package dev.vmbench.profile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The fio profiles of a folder ({@code test-profiles/profiles/} by default): one {@code NAME.fio} file
 * each, whose leading {@code ;} or {@code #} comment lines describe it.
 */
public final class ProfileLibrary {

    private final Path folder;
    private final Map<String, FioProfile> profiles;

    private ProfileLibrary(Path folder, Map<String, FioProfile> profiles) {
        this.folder = folder;
        this.profiles = profiles;
    }

    public static ProfileLibrary load(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("Profile folder [" + folder.toAbsolutePath() + "] does not exist. "
                    + "Fix: run from the project folder or set -Dvmbench.profileDir to a folder of *.fio files.");
        }
        Map<String, FioProfile> profiles = new TreeMap<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".fio")).toList()) {
                String name = file.getFileName().toString().replaceFirst("\\.fio$", "");
                String text = Files.readString(file);
                boolean jobFile = JobFile.isOne(text);
                if (jobFile) {
                    JobFile.check(file.getFileName().toString(), text);
                } else {
                    checkOwnOptions(file, text);
                }
                String description = text.lines().takeWhile(l -> l.startsWith(";") || l.startsWith("#"))
                        .map(l -> l.substring(1).trim()).collect(Collectors.joining(" "));
                profiles.put(name, new FioProfile(name, description, text, jobFile));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read profile folder " + folder, e);
        }
        return new ProfileLibrary(folder, profiles);
    }

    /**
     * The shared {@code [global]} section owns where fio writes, how much and for how long, so that the test file
     * is known to fit the data disk and every profile honours the run's runtime: a profile may not set these.
     */
    private static final List<String> GLOBAL_ONLY = List.of("filename", "directory", "size", "filesize",
            "runtime", "ramp_time", "time_based", "ioengine", "direct", "output", "output-format");

    private static void checkOwnOptions(Path file, String text) {
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String option = lines.get(i).trim().split("=", 2)[0].trim();
            if (JobFile.LOG_OPTIONS.contains(option)) {
                throw new IllegalArgumentException(JobFile.logOption(file.getFileName() + ":" + (i + 1), option));
            }
            String refused = JobFile.outside(option, lines.get(i).contains("=") ? lines.get(i).split("=", 2)[1].trim()
                    : "");
            if (refused != null && !GLOBAL_ONLY.contains(option)) {
                throw new IllegalArgumentException(file.getFileName() + ":" + (i + 1) + ": [" + lines.get(i).trim()
                        + "] " + refused);
            }
            if (GLOBAL_ONLY.contains(option)) {
                throw new IllegalArgumentException(file.getFileName() + ":" + (i + 1) + ": option [" + option
                        + "] is set by the shared [global] of templates/fio-job.fio.mustache. Fix: remove it from the "
                        + "profile (use -Dvmbench.fileSize, -Dvmbench.runtime or -Dvmbench.ramp instead).");
            }
        }
    }

    /** The named profile, or an error listing the ones that exist. */
    public FioProfile get(String name) {
        FioProfile profile = profiles.get(name);
        if (profile == null) {
            throw new IllegalArgumentException("Profile [" + name + "] is not in " + folder + ". Fix: use one of "
                    + String.join(", ", profiles.keySet()) + ", or add " + name + ".fio there.");
        }
        return profile;
    }

    /** Checks every name up front, so a typo fails the run before any VM is created. */
    public List<FioProfile> select(List<String> names) {
        return names.stream().map(this::get).toList();
    }

    public List<String> names() {
        return List.copyOf(profiles.keySet());
    }
}
