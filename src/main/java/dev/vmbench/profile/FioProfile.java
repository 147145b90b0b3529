package dev.vmbench.profile;

/**
 * A fio workload, one file in {@code test-profiles/profiles/}, in one of two forms: vmbench's job sections (a
 * mustache template that may use {@code {{bs}}}, run under the shared {@code [global]}), or a whole fio job file
 * with the bash suite's {@code ${NAME}} placeholders, run as written ({@link JobFile}). A profile that takes no
 * block size fixes its own and runs once per group as {@code native}.
 *
 * @param sections the file's text
 * @param jobFile  whether it is a whole job file
 */
public record FioProfile(String name, String description, String sections, boolean jobFile) {

    public boolean takesBlockSize() {
        return jobFile ? sections.contains("${BLOCK_SIZE}") : sections.contains("{{bs}}");
    }

    @Override
    public String toString() {
        return name;
    }
}
