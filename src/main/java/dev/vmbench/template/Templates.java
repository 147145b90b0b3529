package dev.vmbench.template;

import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;
import com.github.mustachejava.MustacheException;
import com.github.mustachejava.MustacheFactory;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Renders the mustache templates of a folder ({@code templates/} by default). {@code {{x}}} HTML-escapes,
 * so templates use {@code {{{x}}}} for keys, base64 and job text.
 */
public final class Templates {

    private final Path folder;
    private final MustacheFactory factory;

    private Templates(Path folder) {
        this.folder = folder;
        this.factory = new DefaultMustacheFactory(folder.toFile());
    }

    public static Templates in(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("Template folder [" + folder.toAbsolutePath() + "] does not exist. "
                    + "Fix: run from the project folder or set -Dvmbench.templateDir.");
        }
        return new Templates(folder);
    }

    /** Renders {@code name} (a file of the folder) with {@code scope} (a Map or an object). */
    public String render(String name, Object scope) {
        if (!Files.isRegularFile(folder.resolve(name))) {
            throw new IllegalArgumentException("Template [" + name + "] is missing from " + folder.toAbsolutePath()
                    + ". Fix: restore it from the project's templates/ folder.");
        }
        try {
            return execute(factory.compile(name), scope);
        } catch (MustacheException e) {
            throw new IllegalArgumentException("Template [" + name + "] cannot be rendered: " + e.getMessage(), e);
        }
    }

    /** Renders template text that is not a file (a profile's job sections). */
    public String renderText(String label, String text, Object scope) {
        return execute(factory.compile(new StringReader(text), label), scope);
    }

    /** The raw bytes of a file of the folder, for files shipped verbatim (the guest script). */
    public byte[] file(String name) {
        try {
            return Files.readAllBytes(folder.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException("Template file [" + name + "] cannot be read from "
                    + folder.toAbsolutePath(), e);
        }
    }

    private static String execute(Mustache mustache, Object scope) {
        StringWriter out = new StringWriter();
        mustache.execute(out, scope);
        return out.toString();
    }
}
