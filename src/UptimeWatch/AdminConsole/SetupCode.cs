using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Storage;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// The one-time code that first-run setup needs, so that an unclaimed install does not belong to whoever reaches
/// its port first (the Docker image listens on every interface). Only someone who can read the log or the data
/// directory has it. A new code is made at every start until the password is chosen; then the file is removed and
/// no code is valid. Not made at all when <c>Admin:InitialPassword</c> creates the account.
/// </summary>
internal sealed partial class SetupCode(IOptions<UptimeWatchOptions> options, ILogger<SetupCode> logger)
{
    public const string FileName = "setup-code";

    /// <summary>Crockford's base32 without the letters people misread (I, L, O, U): 12 of them are 60 bits.</summary>
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    private const int Length = 12;

    private readonly Lock _lock = new();
    private byte[]? _code;

    public string FilePath => Path.Combine(StorageExtensions.DataDirectory(options.Value), FileName);

    /// <summary>Makes a new code, writes it to <see cref="FilePath"/> (owner-only) and logs it.</summary>
    public void Issue()
    {
        var code = RandomNumberGenerator.GetString(Alphabet, Length);
        lock (_lock)
        {
            _code = Encoding.ASCII.GetBytes(code);
        }
        // Grouped for reading aloud or typing; the dashes are optional on input.
        var shown = $"{code[..4]}-{code[4..8]}-{code[8..]}";
        try
        {
            // Deleted first: the owner-only mode applies to a new file only, and an old copy may have had another.
            File.Delete(FilePath);
            var file = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                file.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            using var writer = new StreamWriter(FilePath, Encoding.ASCII, file);
            writer.WriteLine(shown);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The log line below still carries the code; setup does not depend on the file.
            LogFileFailed(FilePath, ex.Message);
        }
        LogIssued(shown, FilePath);
    }

    /// <summary>Whether <paramref name="candidate"/> is the current code (case, spaces and dashes ignored), in constant time.</summary>
    public bool Matches(string? candidate)
    {
        byte[]? code;
        lock (_lock)
        {
            code = _code;
        }
        if (code is null || candidate is null || candidate.Length > 100)
        {
            return false;
        }
        var typed = Encoding.ASCII.GetBytes(new string(candidate.Where(c => c is not ('-' or ' ' or '\t')).ToArray()).ToUpperInvariant());
        return CryptographicOperations.FixedTimeEquals(typed, code);
    }

    /// <summary>Setup is done (or was before this start): no code is valid from now on, and the file goes.</summary>
    public void Retire()
    {
        lock (_lock)
        {
            _code = null;
        }
        try
        {
            File.Delete(FilePath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The code in it is no longer accepted, so a left-over file is harmless; say so once.
            LogFileFailed(FilePath, ex.Message);
        }
    }

    [LoggerMessage(LogLevel.Warning,
        "No admin account yet. First-run setup code: {SetupCode} (also in {SetupCodeFile}). Open /admin, enter it and choose the admin password; until then the console cannot be claimed without it")]
    private partial void LogIssued(string setupCode, string setupCodeFile);

    [LoggerMessage(LogLevel.Warning, "Could not write or remove the setup code file {SetupCodeFile}: {Error}")]
    private partial void LogFileFailed(string setupCodeFile, string error);
}
