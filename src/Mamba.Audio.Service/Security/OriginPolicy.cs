namespace Mamba.Audio.Service.Security;

/// <summary>
/// Which browser pages may open a stream: a request with no Origin header (a program, not a page)
/// passes to the token check; one with an Origin passes only when it is the server's own (the page
/// at /) or one of <see cref="ServiceOptions.AllowedOrigins"/>. This stops another site's page from
/// using a visitor's browser, and any token it holds, against the service.
/// </summary>
public sealed class OriginPolicy(ServiceOptions options)
{
    private readonly HashSet<string> allowed = new(options.AllowedOrigins.Select(Normalise), StringComparer.OrdinalIgnoreCase);

    public bool Allows(string? origin, string scheme, string host)
    {
        if (string.IsNullOrEmpty(origin)) return true;
        string own = Normalise($"{scheme}://{host}");
        string asked = Normalise(origin);
        return string.Equals(asked, own, StringComparison.OrdinalIgnoreCase) || allowed.Contains(asked);
    }

    private static string Normalise(string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : origin;
}
