package dev.vmbench.matrix;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fio block size, or {@link #NATIVE} for profiles that fix their own sizes.
 *
 * <p>Written as fio writes them: {@code 512}, {@code 4k}, {@code 64k}, {@code 1m} (binary multiples).
 */
public record BlockSize(long bytes) {

    /** The block size of a profile that sets its own: the profile runs once, unchanged. */
    public static final BlockSize NATIVE = new BlockSize(0);

    private static final Pattern SIZE = Pattern.compile("(\\d{1,7})([kmg]?)(i?b)?");

    public static BlockSize parse(String text) {
        String lower = text.trim().toLowerCase(Locale.ROOT);
        if (lower.equals("native")) {
            return NATIVE;
        }
        Matcher m = SIZE.matcher(lower);
        if (m.matches()) {
            long unit = switch (m.group(2)) {
                case "k" -> 1024L;
                case "m" -> 1024L * 1024;
                case "g" -> 1024L * 1024 * 1024;
                default -> 1L;
            };
            long bytes = Long.parseLong(m.group(1)) * unit;
            if (bytes >= 512 && bytes % 512 == 0 && bytes <= 64L * 1024 * 1024) {
                return new BlockSize(bytes);
            }
        }
        throw new IllegalArgumentException("is not a block size: use a multiple of 512 bytes up to 64m, "
                + "written like 4k, 64k or 1m");
    }

    public boolean isNative() {
        return bytes == 0;
    }

    /** fio's spelling: {@code 4k}, {@code 1m}, {@code 512}; {@code native} for {@link #NATIVE}. */
    @Override
    public String toString() {
        if (isNative()) {
            return "native";
        }
        if (bytes % (1024L * 1024) == 0) {
            return bytes / (1024L * 1024) + "m";
        }
        if (bytes % 1024 == 0) {
            return bytes / 1024 + "k";
        }
        return Long.toString(bytes);
    }
}
