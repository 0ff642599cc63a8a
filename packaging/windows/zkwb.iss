; ZK Workbench: the Windows installer (Inno Setup 6.3 or newer).
;
; UNTESTED: no Windows machine is available to this project; expect to adjust.
;
; packaging\windows\build.ps1 builds the PyInstaller one-folder bundle, renders zkwb.ico
; and then compiles this script with the version from pyproject.toml:
;   ISCC.exe /DAppVersion=0.1.0 packaging\windows\zkwb.iss
; In:  dist\zkwb\  (zkwb.exe, zkwb-workbench.exe, _internal\)  and  packaging\windows\zkwb.ico
; Out: dist\zkwb-<version>-windows-x64-setup.exe
; BundleDir, IconFile and OutputDir may be given with /D as well.
;
; What it installs: the bundle in {autopf}\ZK Workbench (Program Files, or the user's
; own Programs folder when "install for me only" is chosen), a Start-menu shortcut to the
; workbench, optionally a desktop shortcut and a PATH entry so that `zkwb` runs in a
; terminal, and the .zkr file type (ProgID zkwb.receipt) opening in the workbench.  The
; uninstaller removes all of it; per-user caches and settings stay (packaging/README.md).

#if VER < EncodeVer(6, 3, 0)
  #error Inno Setup 6.3 or newer is needed (x64compatible)
#endif
#ifndef AppVersion
  #error Pass the version: ISCC.exe /DAppVersion=X.Y.Z zkwb.iss (build.ps1 does)
#endif

#define Root AddBackslash(SourcePath) + "..\.."
#ifndef BundleDir
  #define BundleDir Root + "\dist\zkwb"
#endif
#ifndef IconFile
  #define IconFile AddBackslash(SourcePath) + "zkwb.ico"
#endif
#ifndef OutputDir
  #define OutputDir Root + "\dist"
#endif
#if !FileExists(BundleDir + "\zkwb-workbench.exe") || !FileExists(BundleDir + "\zkwb.exe")
  #error No PyInstaller bundle in BundleDir: run packaging\windows\build.ps1
#endif
#if !FileExists(IconFile)
  #error No zkwb.ico: build.ps1 renders it from resources\icons\zkwb.svg
#endif

#define AppName "ZK Workbench"
#define GuiExe "zkwb-workbench.exe"
#define ProgId "zkwb.receipt"

[Setup]
; The AppId identifies this application to every later installer and uninstaller:
; never change it.
AppId={{D8A8CC4F-DDF2-45B1-9FDB-F345DDCAA042}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=ZK Workbench developers
AppPublisherURL=https://github.com/zkwb/zkwb
AppSupportURL=https://github.com/zkwb/zkwb/issues
DefaultDirName={autopf}\{#AppName}
DisableProgramGroupPage=yes
; All users (Program Files, HKLM) by default; the dialog lets a user without
; administrator rights install for themselves ({autopf}, HKA and the PATH entry follow).
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=dialog
; x64 only: the bundle holds x64 Python, Qt, NumPy and LLVM (Arm64 Windows 11 runs it
; emulated).
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Qt 6 supports Windows 10 1809 and later.
MinVersion=10.0.17763
ChangesAssociations=yes
ChangesEnvironment=yes
OutputDir={#OutputDir}
OutputBaseFilename=zkwb-{#AppVersion}-windows-x64-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\zkwb.ico
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
LZMAUseSeparateProcess=yes
#ifdef SignTool
; build.ps1 sets this when ZKWB_SIGNTOOL names a signing command (ISCC /S).
SignTool={#SignTool}
SignedUninstaller=yes
#endif

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add the install folder to the PATH, so that ""zkwb"" runs in a terminal"; GroupDescription: "Command line:"

[InstallDelete]
; An upgrade replaces the whole bundle: files an older version had and this one has not
; must not stay behind in _internal.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
Source: "{#IconFile}"; DestDir: "{app}"; DestName: "zkwb.ico"; Flags: ignoreversion

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#GuiExe}"; IconFilename: "{app}\zkwb.ico"; Comment: "Prove and verify RISC-V programs in zero knowledge"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#GuiExe}"; IconFilename: "{app}\zkwb.ico"; Tasks: desktopicon

[Registry]
; Receipts (.zkr) open in the workbench. HKA is HKLM for an all-users install and HKCU
; for a per-user one. Uninstalling processes these entries bottom-up, so the .zkr key is
; left for last and goes once it is empty.
Root: HKA; Subkey: "Software\Classes\.zkr"; ValueType: string; ValueName: ""; ValueData: "{#ProgId}"; Flags: uninsdeletevalue uninsdeletekeyifempty
Root: HKA; Subkey: "Software\Classes\.zkr"; ValueType: string; ValueName: "Content Type"; ValueData: "application/x-zkwb-receipt"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.zkr\OpenWithProgids"; ValueType: string; ValueName: "{#ProgId}"; ValueData: ""; Flags: uninsdeletevalue uninsdeletekeyifempty
Root: HKA; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: ""; ValueData: "ZK Workbench receipt"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\{#ProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\zkwb.ico,0"
Root: HKA; Subkey: "Software\Classes\{#ProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#GuiExe}"" ""%1"""
Root: HKA; Subkey: "Software\Classes\Applications\{#GuiExe}"; ValueType: string; ValueName: "FriendlyAppName"; ValueData: "{#AppName}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Applications\{#GuiExe}\SupportedTypes"; ValueType: string; ValueName: ".zkr"; ValueData: ""

[Run]
Filename: "{app}\{#GuiExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Anything a run left in the bundle (the per-user caches live elsewhere).
Type: filesandordirs; Name: "{app}\_internal"

[Code]
{ The PATH entry for `zkwb` (task addtopath). Inno Setup's rule is that an administrative
  install leaves per-user areas alone, so an all-users install edits the system PATH and a
  per-user install the user's own. The uninstaller looks in both: it may run elevated
  after a per-user install, when IsAdminInstallMode no longer tells which one it was. }

const
  UserEnvKey = 'Environment';
  SystemEnvKey = 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment';

function SameDir(A, B: String): Boolean;
begin
  Result := CompareText(RemoveBackslashUnlessRoot(Trim(A)),
                        RemoveBackslashUnlessRoot(Trim(B))) = 0;
end;

{ Puts Dir on the PATH in RootKey\SubKey (at the end) when Wanted, takes every copy of it
  off otherwise; other entries, and their order, are kept as they are. }
procedure SetPathEntry(RootKey: Integer; SubKey, Dir: String; Wanted: Boolean);
var
  Old, Kept, Rest, Entry: String;
  P: Integer;
  Found: Boolean;
begin
  if not RegQueryStringValue(RootKey, SubKey, 'Path', Old) then
    Old := '';
  Kept := '';
  Found := False;
  Rest := Old;
  while Rest <> '' do
  begin
    P := Pos(';', Rest);
    if P = 0 then
      P := Length(Rest) + 1;
    Entry := Copy(Rest, 1, P - 1);
    Delete(Rest, 1, P);
    if SameDir(Entry, Dir) then
      Found := True
    else if Trim(Entry) <> '' then
    begin
      if Kept <> '' then
        Kept := Kept + ';';
      Kept := Kept + Entry;
    end;
  end;

  if Wanted = Found then
    exit;
  if Wanted then
  begin
    Kept := Old;
    while (Kept <> '') and (Kept[Length(Kept)] = ';') do
      Delete(Kept, Length(Kept), 1);
    if Kept <> '' then
      Kept := Kept + ';';
    Kept := Kept + Dir;
  end;

  if Kept = '' then
  begin
    if not RegDeleteValue(RootKey, SubKey, 'Path') then
      Log('Could not remove the empty PATH value of ' + SubKey);
  end
  else if not RegWriteExpandStringValue(RootKey, SubKey, 'Path', Kept) then
    Log('Could not write the PATH of ' + SubKey)
  else
    Log('PATH of ' + SubKey + ' is now: ' + Kept);
end;

procedure CurStepChanged(CurStep: TSetupStep);
begin
  if CurStep = ssPostInstall then
  begin
    if IsAdminInstallMode then
      SetPathEntry(HKEY_LOCAL_MACHINE, SystemEnvKey, ExpandConstant('{app}'),
                   WizardIsTaskSelected('addtopath'))
    else
      SetPathEntry(HKEY_CURRENT_USER, UserEnvKey, ExpandConstant('{app}'),
                   WizardIsTaskSelected('addtopath'));
  end;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usUninstall then
  begin
    SetPathEntry(HKEY_CURRENT_USER, UserEnvKey, ExpandConstant('{app}'), False);
    if IsAdminInstallMode then
      SetPathEntry(HKEY_LOCAL_MACHINE, SystemEnvKey, ExpandConstant('{app}'), False);
  end;
end;
