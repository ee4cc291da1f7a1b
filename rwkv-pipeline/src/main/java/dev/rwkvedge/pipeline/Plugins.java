package dev.rwkvedge.pipeline;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.registry.Compressors;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.registry.WeightFormats;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Loads plugin jars from folders through one child class loader (parent: the application loader) and reloads every
 * registry from it, so providers in those jars are found by name like those on the classpath.
 */
public final class Plugins {
    private Plugins() {
    }

    /**
     * @throws RwkvException if a folder cannot be read or two jars claim one provider name
     */
    public static ClassLoader load(List<Path> folders) {
        List<URL> urls = new ArrayList<>();
        for (Path dir : folders) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path jar : s.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                    urls.add(jar.toUri().toURL());
                }
            } catch (MalformedURLException e) {
                throw new RwkvException(dir + ": bad jar path: " + e.getMessage());
            } catch (IOException e) {
                throw new RwkvException(dir + ": cannot list plugin folder: " + e.getMessage());
            }
        }
        ClassLoader loader = new URLClassLoader("rwkv-edge-plugins", urls.toArray(URL[]::new),
                Plugins.class.getClassLoader());
        Compressors.registry().reload(loader);
        WeightFormats.registry().reload(loader);
        KernelBackends.registry().reload(loader);
        return loader;
    }
}
