package dev.vmbench.profile;

/**
 * A fio workload: the job sections of one profile file in {@code test-profiles/profiles/}, a mustache
 * template that may use {@code {{bs}}}. A profile that does not use it fixes its own block sizes and runs
 * once per group as {@code native}.
 */
public record FioProfile(String name, String description, String sections) {

    public boolean takesBlockSize() {
        return sections.contains("{{bs}}");
    }

    @Override
    public String toString() {
        return name;
    }
}
