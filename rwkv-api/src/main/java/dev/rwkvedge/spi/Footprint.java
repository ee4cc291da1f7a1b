package dev.rwkvedge.spi;

import dev.rwkvedge.model.Component;
import dev.rwkvedge.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a bound operator keeps in memory, item by item, for the memory account (PAPER.md §6, "how memory is
 * counted": the bytes of resident parameters by component, apart from process RSS). An item is either one of the
 * model file's tensors, claimed with how the operator uses it, or memory the operator allocates itself (a cache of
 * rows), which has no tensor.
 *
 * <ul>
 *   <li>{@link Residency#RESIDENT}: read for every token, or copied to the heap at bind time: must stay in RAM.</li>
 *   <li>{@link Residency#ON_DEMAND}: a view of the mapped file of which only some rows are read per token, paged in
 *       from storage as needed (the predicted-sparse FFN's rows, the clustered head's rows, the table behind an
 *       embedding cache); {@link Item#touchedPerToken()} is the expected bytes read per token when the model's
 *       metadata gives the share, NaN when it does not.</li>
 *   <li>{@link Residency#LOAD_ONLY}: read at most once while binding and never kept (a clustered head's
 *       token→cluster map, a sign predictor's recorded range).</li>
 * </ul>
 *
 * A file tensor no operator claims counts as resident: that is the default ({@link #NONE}) of every operator
 * interface, so an operator that does not report its footprint is accounted for conservatively.
 *
 * @param items claimed tensors and own allocations, in no particular order
 */
public record Footprint(List<Item> items) {
    /** Claims nothing: every tensor the operator reads counts as resident. */
    public static final Footprint NONE = new Footprint(List.of());

    /** How an item occupies memory. */
    public enum Residency {
        RESIDENT, ON_DEMAND, LOAD_ONLY
    }

    /**
     * @param tensor          the file tensor's name, or null for memory the operator allocates
     * @param component       where the bytes are reported
     * @param residency       how they occupy memory
     * @param bytes           bytes in RAM when resident (the tensor's, or its decoded copy's, or the allocation's);
     *                        the tensor's bytes otherwise
     * @param touchedPerToken for {@link Residency#ON_DEMAND}: expected bytes read per token, NaN when unknown; else 0
     */
    public record Item(String tensor, Component component, Residency residency, long bytes, double touchedPerToken) {
        public Item {
            Objects.requireNonNull(component, "component");
            Objects.requireNonNull(residency, "residency");
            if (bytes < 0) {
                throw new IllegalArgumentException("negative byte count " + bytes + " for " + tensor);
            }
        }
    }

    public Footprint {
        items = List.copyOf(items);
    }

    /** Tensors read for every token (or copied to the heap), in their own components. */
    public static Footprint resident(Tensor... tensors) {
        List<Item> out = new ArrayList<>();
        for (Tensor t : tensors) {
            out.add(new Item(t.name(), Component.of(t.name()), Residency.RESIDENT, t.byteSize(), 0));
        }
        return new Footprint(out);
    }

    /** Tensors read for every token or copied at bind time. */
    public static Footprint resident(List<Tensor> tensors) {
        return resident(tensors.toArray(Tensor[]::new));
    }

    /**
     * Tensors decoded to float32 arrays on the heap at bind time (vectors, an MLP predictor's bias): resident at 4 bytes
     * per element, whatever their stored type (a BF16 checkpoint's vectors take twice their stored bytes).
     */
    public static Footprint decoded(Tensor... tensors) {
        List<Item> out = new ArrayList<>();
        for (Tensor t : tensors) {
            out.add(new Item(t.name(), Component.of(t.name()), Residency.RESIDENT, 4 * t.elementCount(), 0));
        }
        return new Footprint(out);
    }

    /**
     * A tensor of which only some rows are read per token.
     *
     * @param touchedShare expected share of its bytes read per token (0..1), NaN when unknown
     */
    public static Footprint onDemand(Tensor t, double touchedShare) {
        double share = Double.isNaN(touchedShare) ? Double.NaN : Math.clamp(touchedShare, 0.0, 1.0);
        return new Footprint(List.of(new Item(t.name(), Component.of(t.name()), Residency.ON_DEMAND, t.byteSize(),
                share * t.byteSize())));
    }

    /** A tensor read while binding and then dropped. */
    public static Footprint loadOnly(Tensor t) {
        return new Footprint(List.of(new Item(t.name(), Component.of(t.name()), Residency.LOAD_ONLY, t.byteSize(), 0)));
    }

    /** Memory the operator allocates itself and keeps (for example cached rows). */
    public static Footprint allocated(Component component, long bytes) {
        return new Footprint(List.of(new Item(null, component, Residency.RESIDENT, bytes, 0)));
    }

    /** Both footprints' items. */
    public Footprint plus(Footprint other) {
        List<Item> all = new ArrayList<>(items);
        all.addAll(other.items);
        return new Footprint(all);
    }
}
