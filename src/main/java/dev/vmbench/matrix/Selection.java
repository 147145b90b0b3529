package dev.vmbench.matrix;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Which tests of the matrix run: {@code filter} patterns (any may match; none given selects all) minus
 * {@code exclude} patterns. A pattern is a glob per field, {@code pool:size:pvc:concurrency:profile:bs}, with
 * {@code *} and {@code ?}; missing trailing fields match anything. Example: {@code *:*:*:8:db-*} selects the
 * database profiles of every 8-VM group.
 */
public record Selection(List<String> filter, List<String> exclude) {

    public static final Selection ALL = new Selection(List.of(), List.of());

    public Selection {
        filter = List.copyOf(filter);
        exclude = List.copyOf(exclude);
        filter.forEach(Selection::check);
        exclude.forEach(Selection::check);
    }

    public boolean selects(VmGroupSpec group, FioPermutation permutation) {
        String[] fields = {group.pool(), group.vmSize().name(), group.pvcSize(), String.valueOf(group.concurrency()),
            permutation.profile(), permutation.blockSize().toString()};
        return (filter.isEmpty() || filter.stream().anyMatch(p -> matches(p, fields)))
                && exclude.stream().noneMatch(p -> matches(p, fields));
    }

    /**
     * Whether a storage capability check of {@code group} runs: its profile field is {@code capability} and its
     * block-size field the capability's name, so {@code *:*:*:*:capability} selects every check and
     * {@code *:*:*:*:capability:migration} one.
     */
    public boolean selectsCapability(VmGroupSpec group, String capability) {
        String[] fields = {group.pool(), group.vmSize().name(), group.pvcSize(), String.valueOf(group.concurrency()),
            "capability", capability};
        return (filter.isEmpty() || filter.stream().anyMatch(p -> matches(p, fields)))
                && exclude.stream().noneMatch(p -> matches(p, fields));
    }

    private static boolean matches(String pattern, String[] fields) {
        String[] globs = pattern.split(":", -1);
        for (int i = 0; i < globs.length; i++) {
            if (!glob(globs[i]).matcher(fields[i]).matches()) {
                return false;
            }
        }
        return true;
    }

    private static Pattern glob(String glob) {
        StringBuilder regex = new StringBuilder();
        for (char c : glob.toCharArray()) {
            regex.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
        }
        return Pattern.compile(regex.toString());
    }

    private static void check(String pattern) {
        if (pattern.isBlank() || pattern.split(":", -1).length > 6) {
            throw new IllegalArgumentException("has pattern [" + pattern + "], which is not pool:size:pvc:concurrency:"
                    + "profile:bs with at most six fields");
        }
    }
}
