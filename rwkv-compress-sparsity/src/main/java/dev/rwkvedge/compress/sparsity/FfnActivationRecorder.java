package dev.rwkvedge.compress.sparsity;

import dev.rwkvedge.spi.ActivationObserver;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps, for every layer, the input and active-neuron mask of each {@code blocks.N.ffn.key.weight} product seen
 * during calibration (the input is x_k after token-shift mixing; positive outputs are the neurons relu² keeps), up
 * to {@code maxTokens} per layer.
 */
public final class FfnActivationRecorder implements ActivationObserver {
    private static final Pattern KEY = Pattern.compile("blocks\\.(\\d+)\\.ffn\\.key\\.weight");
    private final LayerActivations[] layers;
    private final int maxTokens;

    public FfnActivationRecorder(int layers, int embd, int ffn, int maxTokens) {
        this.layers = new LayerActivations[layers];
        for (int l = 0; l < layers; l++) {
            this.layers[l] = new LayerActivations(embd, ffn);
        }
        this.maxTokens = maxTokens;
    }

    @Override
    public void observe(String name, float[] in, int inOff, int cols, float[] out, int outOff, int rows, int n) {
        Matcher m = KEY.matcher(name);
        if (!m.matches()) {
            return;
        }
        LayerActivations a = layers[Integer.parseInt(m.group(1))];
        for (int t = 0; t < n && a.tokens() < maxTokens; t++) {
            a.add(in, inOff + t * cols, out, outOff + t * rows);
        }
    }

    public LayerActivations layer(int l) {
        return layers[l];
    }
}
