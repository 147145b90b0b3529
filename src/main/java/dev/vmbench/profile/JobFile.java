package dev.vmbench.profile;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A whole fio job file as the bash suite writes its profiles: its own {@code [global]} and sections, with
 * {@code ${NAME}} placeholders for what the run decides. vmbench runs such a file as it is, placeholders filled
 * in, so a workload keeps its meaning when it moves over.
 */
public final class JobFile {

    /** The placeholders the bash suite fills in, and nothing else. */
    public static final List<String> PLACEHOLDERS = List.of("RUNTIME", "RAMP_TIME", "IODEPTH", "NUMJOBS",
            "FILE_SIZE", "BLOCK_SIZE", "RATE_IOPS_LINE");
    /** Options whose value the run owns: in a job file they may only name their placeholder. */
    private static final Map<String, String> RUN_OWNED = Map.of("runtime", "RUNTIME", "ramp_time", "RAMP_TIME",
            "size", "FILE_SIZE", "filesize", "FILE_SIZE");
    /** Options that would take fio's output or files away from where vmbench reads and writes them. */
    private static final List<String> FORBIDDEN = List.of("directory", "output", "output-format");
    /** Options of fio's interval logs, which the guest sets for every job (vmbench.logInterval) and then reads. */
    static final List<String> LOG_OPTIONS = List.of("write_bw_log", "write_lat_log", "write_iops_log",
            "write_hist_log", "log_avg_msec", "log_hist_msec", "log_unix_epoch", "log_alternate_epoch",
            "per_job_logs", "log_compression", "log_store_compressed", "log_offset", "log_prio", "log_max_value");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)\\}");
    private static final Pattern SECTION = Pattern.compile("^\\[([^\\]]+)\\]$");

    private JobFile() {
    }

    /** Whether {@code text} is a whole job file (it has a {@code [global]} or a placeholder) rather than sections. */
    static boolean isOne(String text) {
        return text.lines().map(String::trim).anyMatch(l -> l.equals("[global]")) || PLACEHOLDER.matcher(text).find();
    }

    /**
     * Refuses what vmbench cannot run as written: an unknown placeholder, a run-owned option with a value of its
     * own, an option that moves fio's files or output.
     *
     * @throws IllegalArgumentException naming file, line, the offending text and the fix
     */
    static void check(String file, String text) {
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            Matcher m = PLACEHOLDER.matcher(line);
            while (m.find()) {
                if (!PLACEHOLDERS.contains(m.group(1))) {
                    throw new IllegalArgumentException(file + ":" + (i + 1) + ": placeholder [${" + m.group(1) + "}] is "
                            + "unknown. Fix: use one of " + PLACEHOLDERS.stream().map(p -> "${" + p + "}").toList()
                            + ", or write the value itself.");
                }
            }
            if (comment(line)) {
                continue;
            }
            String[] option = withoutComment(line).split("=", 2);
            String key = option[0].trim();
            if (RUN_OWNED.containsKey(key) && option.length == 2
                    && !option[1].trim().equals("${" + RUN_OWNED.get(key) + "}")) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": [" + line + "] fixes what the run sets. "
                        + "Fix: write " + key + "=${" + RUN_OWNED.get(key) + "} (vmbench fills it in from its settings).");
            }
            if (LOG_OPTIONS.contains(key)) {
                throw new IllegalArgumentException(logOption(file + ":" + (i + 1), key));
            }
            String refused = outside(key, option.length == 2 ? option[1].trim() : "");
            if (refused != null) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": [" + line + "] " + refused);
            }
            if (FORBIDDEN.contains(key)) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": option [" + key + "] moves fio's files or "
                        + "output away from where vmbench reads them (fio runs in the data disk's mount point and "
                        + "writes JSON where vmbench collects it). Fix: remove it.");
            }
        }
    }

    /** Options whose value fio takes as a path: the file(s) it does I/O on, a folder of them, a name pattern. */
    private static final List<String> PATH_OPTIONS = List.of("filename", "opendir", "filename_format");
    /** Options that make fio run a command or read and write files of its own choosing. */
    private static final List<String> UNSAFE_OPTIONS = List.of("exec_prerun", "exec_postrun", "read_iolog",
            "write_iolog", "write_hist_log", "ioscheduler");

    /**
     * Why an option may not stand in a job vmbench runs, or null: fio runs in the data disk's mount point and may read
     * and write only there — relative names without {@code ..} (fio splits {@code filename} at {@code :}), no absolute
     * path, no device; and it runs no command. A block-mode data disk is addressed by vmbench, never by the job file.
     */
    static String outside(String key, String value) {
        if (UNSAFE_OPTIONS.contains(key)) {
            return "makes fio run a command or read and write files of its choosing in the guest, outside what vmbench "
                    + "measures. Fix: remove it.";
        }
        if (!PATH_OPTIONS.contains(key)) {
            return null;
        }
        for (String name : value.split(":")) {
            String n = name.trim();
            if (n.isEmpty() || n.startsWith("/") || n.startsWith("~") || n.contains("\\") || java.util.Arrays.asList(
                    n.split("/")).contains("..")) {
                return "names [" + n + "], outside the data directory: fio runs in the data disk's mount point and may "
                        + "read and write only there (relative names, no .., no absolute path or device; a block-mode "
                        + "data disk is addressed by vmbench, not by the job file). Fix: a plain name such as "
                        + key + "=fio-testfile.";
            }
        }
        return null;
    }

    /** The message for a job or profile that sets one of {@link #LOG_OPTIONS}. */
    static String logOption(String where, String option) {
        return where + ": option [" + option + "] changes fio's interval logs, which vmbench asks every job for and "
                + "reads back in its own format (the time-series charts and iops-drift). Fix: remove it; set "
                + "-Dvmbench.logInterval to change how often fio logs.";
    }

    /** The text with every placeholder replaced by its value. */
    static String fill(String text, Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(values.getOrDefault(m.group(1), m.group())));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** One section's options in order (a bare option like {@code stonewall} has an empty value). */
    record Section(String name, Map<String, String> options) {
    }

    /** The sections of a filled-in job file, {@code [global]} included, in order. */
    static List<Section> sections(String text) {
        List<Section> sections = new ArrayList<>();
        Map<String, String> current = null;
        for (String raw : text.lines().toList()) {
            String line = raw.trim();
            if (comment(line)) {
                continue;
            }
            Matcher header = SECTION.matcher(line);
            if (header.matches()) {
                current = new LinkedHashMap<>();
                sections.add(new Section(header.group(1), current));
            } else if (current != null) {
                String[] option = withoutComment(line).split("=", 2);
                current.put(option[0].trim(), option.length == 2 ? option[1].trim() : "");
            }
        }
        return sections;
    }

    /**
     * The files the job reads and writes in its directory: a section's (or the global) {@code filename}, shared by
     * every section that names it; otherwise fio's own name per clone, {@code <section>.<clone>.0}.
     */
    static List<String> files(String text) {
        List<Section> sections = sections(text);
        Map<String, String> global = sections.stream().filter(s -> s.name().equals("global")).findFirst()
                .map(Section::options).orElse(Map.of());
        Set<String> files = new LinkedHashSet<>();
        for (Section section : sections) {
            if (section.name().equals("global")) {
                continue;
            }
            String filename = section.options().getOrDefault("filename", global.get("filename"));
            if (filename != null) {
                files.add(filename);
                continue;
            }
            String numjobs = section.options().getOrDefault("numjobs", global.getOrDefault("numjobs", "1"));
            if (!numjobs.matches("\\d{1,4}")) {
                throw new IllegalArgumentException("Job section [" + section.name() + "] has numjobs [" + numjobs
                        + "]; vmbench counts the files of each worker and needs a plain number. Fix: write numjobs=N "
                        + "or numjobs=${NUMJOBS}.");
            }
            int clones = Integer.parseInt(numjobs);
            for (int clone = 0; clone < clones; clone++) {
                files.add(section.name() + "." + clone + ".0");
            }
        }
        return List.copyOf(files);
    }

    private static boolean comment(String line) {
        return line.isEmpty() || line.startsWith("#") || line.startsWith(";");
    }

    /** fio ignores what follows a {@code #} or {@code ;} on an option line. */
    private static String withoutComment(String line) {
        int hash = line.indexOf('#');
        int semicolon = line.indexOf(';');
        int cut = hash < 0 ? semicolon : semicolon < 0 ? hash : Math.min(hash, semicolon);
        return (cut < 0 ? line : line.substring(0, cut)).trim();
    }
}
