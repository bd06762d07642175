namespace ActorTrainer.Core.Rnn;

/// <summary>
/// Shape of an Elman RNN and the layout of its ONE flat parameter vector W.
/// Legend: V input size (vocabulary), H hidden size, O output size.
/// W = [ Wxh (H×V) | Whh (H×H) | Bh (H) | Why (O×H) | By (O) ], each block row-major.
/// </summary>
public sealed record ModelShape
{
    public int V { get; }
    public int H { get; }
    public int O { get; }

    public ModelShape(int v, int h, int o)
    {
        if (v <= 0) throw new ArgumentOutOfRangeException(nameof(v), v, "input size V must be positive");
        if (h <= 0) throw new ArgumentOutOfRangeException(nameof(h), h, "hidden size H must be positive");
        if (o <= 0) throw new ArgumentOutOfRangeException(nameof(o), o, "output size O must be positive");
        V = v; H = h; O = o;
    }

    public int WxhOffset => 0;
    public int WhhOffset => H * V;
    public int BhOffset => WhhOffset + H * H;
    public int WhyOffset => BhOffset + H;
    public int ByOffset => WhyOffset + O * H;
    /// <summary>Total number of parameters: H·V + H·H + H + O·H + O.</summary>
    public int Count => ByOffset + O;

    public Span<float> Wxh(Span<float> w) => w.Slice(WxhOffset, H * V);
    public Span<float> Whh(Span<float> w) => w.Slice(WhhOffset, H * H);
    public Span<float> Bh(Span<float> w) => w.Slice(BhOffset, H);
    public Span<float> Why(Span<float> w) => w.Slice(WhyOffset, O * H);
    public Span<float> By(Span<float> w) => w.Slice(ByOffset, O);
    public ReadOnlySpan<float> Wxh(ReadOnlySpan<float> w) => w.Slice(WxhOffset, H * V);
    public ReadOnlySpan<float> Whh(ReadOnlySpan<float> w) => w.Slice(WhhOffset, H * H);
    public ReadOnlySpan<float> Bh(ReadOnlySpan<float> w) => w.Slice(BhOffset, H);
    public ReadOnlySpan<float> Why(ReadOnlySpan<float> w) => w.Slice(WhyOffset, O * H);
    public ReadOnlySpan<float> By(ReadOnlySpan<float> w) => w.Slice(ByOffset, O);

    /// <summary>The five blocks with their checkpoint names and shapes, in W order.</summary>
    public IReadOnlyList<(string Name, int Offset, int[] Dims)> Blocks => new[]
    {
        ("W_xh", WxhOffset, new[] { H, V }),
        ("W_hh", WhhOffset, new[] { H, H }),
        ("b_h", BhOffset, new[] { H }),
        ("W_hy", WhyOffset, new[] { O, H }),
        ("b_y", ByOffset, new[] { O }),
    };
}
