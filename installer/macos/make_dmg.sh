#!/bin/sh
# Build "AirAlgo Desktop-<version>.dmg" from dist/AirAlgo Desktop.app (macOS only; run by installer/build.py).
# Signs and notarizes when these are set, and says so when they are not:
#   MACOS_SIGN_IDENTITY   "Developer ID Application: …"
#   MACOS_NOTARY_PROFILE  a notarytool keychain profile (xcrun notarytool store-credentials)
set -eu
app="$1"; dmg="$2"
if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
  codesign --force --deep --options runtime --timestamp --sign "$MACOS_SIGN_IDENTITY" "$app"
else
  echo "make_dmg: MACOS_SIGN_IDENTITY not set: the app is NOT signed (Gatekeeper will warn users)."
fi
staging=$(mktemp -d)
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
hdiutil create -volname "AirAlgo Desktop" -srcfolder "$staging" -ov -format UDZO "$dmg"
rm -rf "$staging"
if [ -n "${MACOS_SIGN_IDENTITY:-}" ] && [ -n "${MACOS_NOTARY_PROFILE:-}" ]; then
  codesign --force --sign "$MACOS_SIGN_IDENTITY" --timestamp "$dmg"
  xcrun notarytool submit "$dmg" --keychain-profile "$MACOS_NOTARY_PROFILE" --wait
  xcrun stapler staple "$dmg"
else
  echo "make_dmg: signing/notarization secrets not set: the .dmg is NOT notarized."
fi
