#!/usr/bin/env bash
# Builds the macOS disk image of ZK Workbench from this checkout:
#   dist/zkwb-<version>-macos-<arch>.dmg   "ZK Workbench.app" (the workbench, with the zkwb
#                                          command line beside it in Contents/MacOS) and a
#                                          link to /Applications to drag it onto
#
# UNTESTED: no macOS machine is available to this project; expect to adjust.
#
# Needs macOS with the Xcode command line tools (codesign, iconutil, hdiutil, xcrun) and a
# Python 3.11 PyInstaller can bundle: python.org's framework build or Homebrew's ($PYTHON,
# default python3.11). Builds for this machine's architecture, arm64 or x86_64 (uname -m).
# The build tools and pinned libraries go into build/macos/venv (packaging/requirements.txt).
#
# Signing (packaging/README.md):
#   by default the app is signed ad hoc (codesign --force --deep -s -): it runs on this
#     Mac; on another, Gatekeeper asks the user to allow it (System Settings > Privacy &
#     Security > Open Anyway)
#   ZKWB_CODESIGN_IDENTITY="Developer ID Application: NAME (TEAMID)" signs with that
#     identity, hardened runtime, secure timestamp and packaging/macos/entitlements.plist
#     (Numba compiles machine code at run time), and signs the .dmg too
#   ZKWB_NOTARY_PROFILE=PROFILE (with an identity) then notarizes the .dmg and staples the
#     ticket, using credentials saved by `xcrun notarytool store-credentials PROFILE`
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
python=${PYTHON:-python3.11}
work=$root/build/macos
out=$root/dist
identity=${ZKWB_CODESIGN_IDENTITY:--}
notary=${ZKWB_NOTARY_PROFILE:-}

die() { echo "macos/build: $*" >&2; exit 1; }
[ "$(uname -s)" = Darwin ] || die "this builds on macOS only"
for tool in codesign iconutil hdiutil ditto; do
  command -v "$tool" >/dev/null || die "$tool not found (xcode-select --install)"
done
[ -z "$notary" ] || [ "$identity" != - ] || die "ZKWB_NOTARY_PROFILE needs ZKWB_CODESIGN_IDENTITY"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml | head -n 1)
[ -n "$version" ] || die "no version in pyproject.toml"
arch=$(uname -m)
command -v "$python" >/dev/null || die "$python not found (set PYTHON)"
bundleable=$("$python" -c 'import sysconfig as s
print(int(bool(s.get_config_var("PYTHONFRAMEWORK")) or s.get_config_var("Py_ENABLE_SHARED") == 1))')
[ "$bundleable" = 1 ] || die "$("$python" --version) is neither a framework build nor built" \
  "with a shared libpython, which PyInstaller needs; use python.org's or Homebrew's"

# 1. The build environment, pinned.
venv=$work/venv
if [ ! -x "$venv/bin/python" ]; then
  echo "macos/build: creating $venv with $("$python" --version)"
  mkdir -p "$work"
  "$python" -m venv "$venv"
fi
if [ ! -f "$venv/.installed" ] || [ packaging/requirements.txt -nt "$venv/.installed" ]; then
  echo "macos/build: installing PyInstaller and the pinned libraries"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q -r packaging/requirements.txt
  touch "$venv/.installed"
fi

# 2. The icon: packaging/macos/zkwb.icns, which packaging/zkwb.spec gives the app (and its
#    document type). Generated, not committed.
rm -rf "$work/zkwb.iconset"
QT_QPA_PLATFORM=offscreen "$venv/bin/python" packaging/icon_files.py iconset \
  resources/icons/zkwb.svg "$work/zkwb.iconset"
iconutil -c icns -o packaging/macos/zkwb.icns "$work/zkwb.iconset"

# 3. The app bundle (the spec's macOS part); dist/zkwb beside it is the plain folder.
echo "macos/build: PyInstaller (a few minutes)"
rm -rf "$work/dist" "$work/work"
"$venv/bin/pyinstaller" --noconfirm --log-level WARN --distpath "$work/dist" \
  --workpath "$work/work" packaging/zkwb.spec
app="$work/dist/ZK Workbench.app"
for exe in zkwb-workbench zkwb; do
  [ -x "$app/Contents/MacOS/$exe" ] || die "$app/Contents/MacOS/$exe is missing"
done
# The engine ships as sources (Numba's cache needs them); compile them now, before the
# app is signed: a .pyc written later into the bundle would break its signature.
engine=$app/Contents/Resources/engine
[ -d "$engine" ] || engine=$app/Contents/Frameworks/engine
[ -d "$engine" ] || die "no engine/ folder in $app"
"$venv/bin/python" -m compileall -q -j 0 --invalidation-mode unchecked-hash "$engine" >/dev/null

# 4. Signing. PyInstaller signed the bundle ad hoc; the .pyc files above invalidated that.
if [ "$identity" = - ]; then
  echo "macos/build: signing ad hoc (set ZKWB_CODESIGN_IDENTITY to sign for distribution)"
  codesign --force --deep --sign - "$app"
else
  echo "macos/build: signing as $identity"
  codesign --force --deep --options runtime --timestamp \
    --entitlements packaging/macos/entitlements.plist --sign "$identity" "$app"
fi
codesign --verify --deep --strict "$app"

# 5. The disk image: the app and a link to /Applications.
stage=$work/dmg
rm -rf "$stage"
mkdir -p "$stage" "$out"
ditto "$app" "$stage/ZK Workbench.app"
ln -s /Applications "$stage/Applications"
dmg=$out/zkwb-$version-macos-$arch.dmg
rm -f "$dmg"
# hdiutil now and then fails with "Resource busy" on a freshly written folder; retry.
for attempt in 1 2 3; do
  if hdiutil create -volname "ZK Workbench" -srcfolder "$stage" -format UDZO -ov "$dmg"; then
    break
  fi
  [ "$attempt" -lt 3 ] || die "hdiutil create failed"
  sleep 5
done
if [ "$identity" != - ]; then
  codesign --force --timestamp --sign "$identity" "$dmg"
fi
if [ -n "$notary" ]; then
  echo "macos/build: notarizing (waits for Apple's answer)"
  xcrun notarytool submit "$dmg" --keychain-profile "$notary" --wait
  xcrun stapler staple "$dmg"
fi

echo "macos/build: $(du -h "$dmg" | cut -f1)  dist/$(basename "$dmg")"
