using System.Collections.Concurrent;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;

namespace UptimeWatch.Configuration;

/// <summary>
/// The config file's folder for the configuration system: files as <see cref="PhysicalFileProvider"/> serves them,
/// but changes are watched in that folder only, not in its subfolders.
/// </summary>
/// <remarks>
/// <see cref="PhysicalFileProvider"/> watches its whole tree. The config file usually sits above the data folder
/// (<c>appsettings.json</c> and <c>data/</c> in the working directory), so every write to the database's WAL and to
/// the log file woke the watcher: about 4 % of the CPU at 333 checks/s, more during start-up (dotnet-trace,
/// docs/performance.md). With <c>DOTNET_USE_POLLING_FILE_WATCHER</c> set (containers without file events) the
/// physical provider's polling is used as before; it only looks at the watched file.
/// </remarks>
internal sealed class ConfigFolderFileProvider(string root) : IFileProvider, IDisposable
{
    private readonly PhysicalFileProvider _files = new(root);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _waiting = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private FileSystemWatcher? _watcher;

    public IFileInfo GetFileInfo(string subpath) => _files.GetFileInfo(subpath);

    public IDirectoryContents GetDirectoryContents(string subpath) => _files.GetDirectoryContents(subpath);

    public IChangeToken Watch(string filter)
    {
        var name = filter.TrimStart('/', '\\');
        if (_files.UsePollingFileWatcher || name.Length == 0 || name.IndexOfAny(['/', '\\', '*', '?']) >= 0)
        {
            // Polling, globs and files in subfolders: as the physical provider does it (not used for the config file).
            return _files.Watch(filter);
        }
        Start();
        return new CancellationChangeToken(_waiting.GetOrAdd(name, _ => new CancellationTokenSource()).Token);
    }

    private void Start()
    {
        lock (_lock)
        {
            if (_watcher is not null)
            {
                return;
            }
            var watcher = new FileSystemWatcher(root)
            {
                IncludeSubdirectories = false,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            watcher.Changed += (_, e) => Fire(e.Name);
            watcher.Created += (_, e) => Fire(e.Name);
            watcher.Deleted += (_, e) => Fire(e.Name);
            // Editors that save by writing a temporary file and renaming it over the original.
            watcher.Renamed += (_, e) =>
            {
                Fire(e.Name);
                Fire(e.OldName);
            };
            // Events were lost (buffer overflow): any watched file may have changed.
            watcher.Error += (_, _) =>
            {
                foreach (var name in _waiting.Keys)
                {
                    Fire(name);
                }
            };
            watcher.EnableRaisingEvents = true;
            _watcher = watcher;
        }
    }

    private void Fire(string? name)
    {
        // One token per wait: the configuration system asks for a new one after each change.
        if (name is not null && _waiting.TryRemove(name, out var changed))
        {
            changed.Cancel();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _watcher?.Dispose();
            _watcher = null;
        }
        _files.Dispose();
    }
}
