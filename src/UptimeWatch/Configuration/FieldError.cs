namespace UptimeWatch.Configuration;

/// <summary>One problem with one field: which field, the value as the user wrote it, and what is wrong.</summary>
internal sealed record FieldError(string Field, string? Value, string Message)
{
    /// <summary><c>Url "htp://x" is not an absolute http(s) URL</c>, or <c>Name is required</c> when there is no value.</summary>
    public override string ToString() => Value is null ? $"{Field} {Message}" : $"{Field} \"{Value}\" {Message}";
}
