using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace UptimeWatch.IntegrationTests.Docker;

/// <summary>
/// Settings Testcontainers reads once, before any test touches it. Docker 20.10 (Debian's docker.io) speaks API 1.41,
/// and the reaper image cannot be pulled without a registry; each is set only when the caller has not chosen otherwise.
/// </summary>
internal static class DockerEnvironment
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "A test assembly: this must run before Testcontainers reads its settings.")]
    internal static void Initialize()
    {
        SetIfUnset("DOCKER_API_VERSION", "1.41");
        SetIfUnset("TESTCONTAINERS_RYUK_DISABLED", "true");
    }

    private static void SetIfUnset(string name, string value)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
        {
            Environment.SetEnvironmentVariable(name, value);
        }
    }
}
