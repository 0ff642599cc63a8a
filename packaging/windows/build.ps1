<#
.SYNOPSIS
    Builds the Windows installer of ZK Workbench: dist\zkwb-<version>-windows-x64-setup.exe

.DESCRIPTION
    UNTESTED: no Windows machine is available to this project; expect to adjust.

    1. A build venv in build\windows\venv (Python 3.11 from the py launcher) with the
       pinned toolchain and libraries of packaging\requirements.txt.
    2. packaging\windows\zkwb.ico rendered from resources\icons\zkwb.svg (not committed).
    3. The PyInstaller one-folder bundle dist\zkwb\ (zkwb.exe, zkwb-workbench.exe) from
       packaging\zkwb.spec, its engine sources compiled to .pyc.
    4. The installer, compiled by Inno Setup 6.3+ (ISCC.exe) from packaging\windows\zkwb.iss
       with the version of pyproject.toml.

    Needs: Windows 10/11 x64, Python 3.11 x64 from python.org (with the py launcher),
    Inno Setup 6.3 or newer (https://jrsoftware.org/isinfo.php, or
    `winget install JRSoftware.InnoSetup`).

    Optional signing: set ZKWB_SIGNTOOL to a signing command in which $f stands for the
    file, for example
        signtool.exe sign /fd sha256 /tr http://timestamp.digicert.com /td sha256 /a $f
    The two launchers are signed with it before they are packed, and ISCC signs the
    installer and the uninstaller with it.

.PARAMETER Python
    The Python to create the build venv with (default: py -3.11).

.PARAMETER Iscc
    Path of ISCC.exe (default: $env:ISCC, the PATH, then the usual install folders).

.EXAMPLE
    powershell -NoProfile -ExecutionPolicy Bypass -File packaging\windows\build.ps1
#>
[CmdletBinding()]
param(
    [string]$Python = "",
    [string]$Iscc = $env:ISCC
)

Set-StrictMode -Version Latest
$ErrorActionPreference = "Stop"

# Runs a program and stops the build when it fails. Within this function a native
# program's stderr output is not an error (Windows PowerShell turns it into one when the
# output is redirected); only its exit status counts.
function Invoke-Native([string]$Exe, [string[]]$Arguments) {
    $ErrorActionPreference = "Continue"
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) {
        throw "build: $Exe $($Arguments -join ' ') failed (exit status $LASTEXITCODE)"
    }
}

function Step([string]$Message) { Write-Host "build: $Message" }

$Root = (Resolve-Path (Join-Path $PSScriptRoot "..\..")).Path
Set-Location $Root
$Work = Join-Path $Root "build\windows"
$Dist = Join-Path $Root "dist"
$Bundle = Join-Path $Dist "zkwb"
$Ico = Join-Path $Root "packaging\windows\zkwb.ico"

$match = Select-String -Path (Join-Path $Root "pyproject.toml") -Pattern '^version = "(.*)"$' |
    Select-Object -First 1
if (-not $match) { throw "build: no version in pyproject.toml" }
$Version = $match.Matches[0].Groups[1].Value

# ISCC.exe: the parameter or $env:ISCC, else the PATH, else where its installer puts it.
if (-not $Iscc) {
    $found = Get-Command "ISCC.exe" -ErrorAction SilentlyContinue
    if ($found) {
        $Iscc = $found.Source
    } else {
        $candidates = @(
            (Join-Path ${env:ProgramFiles(x86)} "Inno Setup 6\ISCC.exe"),
            (Join-Path $env:ProgramFiles "Inno Setup 6\ISCC.exe"),
            (Join-Path $env:LOCALAPPDATA "Programs\Inno Setup 6\ISCC.exe")
        )
        $Iscc = $candidates | Where-Object { Test-Path $_ } | Select-Object -First 1
    }
}
if (-not $Iscc -or -not (Test-Path $Iscc)) {
    throw "build: ISCC.exe (Inno Setup 6.3+) not found; install it or pass -Iscc PATH"
}

# 1. The build environment, pinned.
$Venv = Join-Path $Work "venv"
$VenvPython = Join-Path $Venv "Scripts\python.exe"
if (-not (Test-Path $VenvPython)) {
    Step "creating $Venv"
    New-Item -ItemType Directory -Force -Path $Work | Out-Null
    if ($Python) {
        Invoke-Native $Python @("-m", "venv", $Venv)
    } else {
        Invoke-Native "py" @("-3.11", "-m", "venv", $Venv)
    }
}
$Stamp = Join-Path $Venv ".installed"
$Requirements = Join-Path $Root "packaging\requirements.txt"
if (-not (Test-Path $Stamp) -or
        (Get-Item $Requirements).LastWriteTime -gt (Get-Item $Stamp).LastWriteTime) {
    Step "installing PyInstaller and the pinned libraries"
    Invoke-Native $VenvPython @("-m", "pip", "install", "-q", "--upgrade", "pip")
    Invoke-Native $VenvPython @("-m", "pip", "install", "-q", "-r", $Requirements)
    Set-Content -Path $Stamp -Value (Get-Date -Format o)
}

# 2. The icon (installer, shortcuts, the .zkr file type).
Step "rendering zkwb.ico"
$env:QT_QPA_PLATFORM = "offscreen"
Invoke-Native $VenvPython @((Join-Path $Root "packaging\icon_files.py"), "ico",
    (Join-Path $Root "resources\icons\zkwb.svg"), $Ico)
Remove-Item Env:\QT_QPA_PLATFORM

# 3. The one-folder bundle.
Step "PyInstaller (a few minutes)"
Invoke-Native $VenvPython @("-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
    "--distpath", $Dist, "--workpath", (Join-Path $Work "work"),
    (Join-Path $Root "packaging\zkwb.spec"))
foreach ($exe in @("zkwb.exe", "zkwb-workbench.exe")) {
    if (-not (Test-Path (Join-Path $Bundle $exe))) { throw "build: $Bundle\$exe is missing" }
}
# The engine ships as sources (Numba's cache needs them); compile them now, as on Linux,
# since Program Files is not writable for the user who runs it.
Invoke-Native $VenvPython @("-m", "compileall", "-q", "-j", "0",
    "--invalidation-mode", "unchecked-hash", (Join-Path $Bundle "_internal\engine"))
# Test suites of the bundled libraries (outside their .dist-info metadata), as on Linux.
Get-ChildItem -Path $Bundle -Recurse -Directory -Filter "tests" |
    Where-Object { $_.FullName -notmatch '\.dist-info\\' } |
    Sort-Object { $_.FullName.Length } -Descending |
    ForEach-Object { if (Test-Path $_.FullName) { Remove-Item -Recurse -Force $_.FullName } }

# Optional: sign the launchers before they are packed.
$IsccSign = @()
if ($env:ZKWB_SIGNTOOL) {
    foreach ($exe in @("zkwb.exe", "zkwb-workbench.exe")) {
        $file = Join-Path $Bundle $exe
        Step "signing $exe"
        Invoke-Native "cmd.exe" @("/c", $env:ZKWB_SIGNTOOL.Replace('$f', "`"$file`""))
    }
    $IsccSign = @("/Szkwbsign=$($env:ZKWB_SIGNTOOL)", "/DSignTool=zkwbsign")
}

# 4. The installer.
Step "Inno Setup ($Iscc)"
Invoke-Native $Iscc (@("/Qp", "/DAppVersion=$Version", "/DBundleDir=$Bundle",
    "/DIconFile=$Ico", "/DOutputDir=$Dist") + $IsccSign +
    @((Join-Path $Root "packaging\windows\zkwb.iss")))

$Setup = Join-Path $Dist "zkwb-$Version-windows-x64-setup.exe"
if (-not (Test-Path $Setup)) { throw "build: $Setup was not written" }
$MiB = [math]::Round((Get-Item $Setup).Length / 1MB, 1)
Step "$MiB MiB  dist\zkwb-$Version-windows-x64-setup.exe"
