namespace ActorTrainer.Core.Reporting;

/// <summary>An 8-bit RGB colour.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    public static readonly Rgb White = new(255, 255, 255);
    public static readonly Rgb Black = new(0, 0, 0);
    public static readonly Rgb Gray = new(128, 128, 128);
    public static readonly Rgb LightGray = new(225, 225, 225);

    /// <summary>Ten distinguishable series colours (the "tab10" palette).</summary>
    public static IReadOnlyList<Rgb> Palette { get; } =
    [
        new(31, 119, 180), new(255, 127, 14), new(44, 160, 44), new(214, 39, 40), new(148, 103, 189),
        new(140, 86, 75), new(227, 119, 194), new(127, 127, 127), new(188, 189, 34), new(23, 190, 207),
    ];

    /// <summary>Mix with white; t = 0 keeps the colour, t = 1 gives white.</summary>
    public Rgb Lighten(double t) => new(Mix(R, t), Mix(G, t), Mix(B, t));

    private static byte Mix(byte c, double t) => (byte)Math.Round(c + (255 - c) * Math.Clamp(t, 0, 1));
}
