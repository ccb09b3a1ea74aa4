// Built-in bridge lines per transport: Tor Browser's public default bridges (tor-browser-build
// pt_config.json / moat `circumvention/builtin`). Built-in defaults, may be outdated: censors know
// these lists too; a private bridge from bridges.torproject.org is always the stronger choice.
import type { BridgeTransport } from './bridges.js';

const SNOWFLAKE_BROKER =
  'url=https://1098762253.rsc.cdn77.org/ fronts=app.datapacket.com,www.datapacket.com ' +
  'ice=stun:stun.antisip.com:3478,stun:stun.epygi.com:3478,stun:stun.uls.co.za:3478,' +
  'stun:stun.voipgate.com:3478,stun:stun.mixvoip.com:3478,stun:stun.nextcloud.com:3478,' +
  'stun:stun.bethesda.net:3478,stun:stun.nextcloud.com:443 utls-imitate=hellorandomizedalpn';

/** Built-in defaults, may be outdated (see the module header). Webtunnel has none by design. */
export const BUILTIN_BRIDGES: Readonly<Record<BridgeTransport, readonly string[]>> = {
  obfs4: [
    'obfs4 192.95.36.142:443 CDF2E852BF539B82BD10E27E9115A31734E378C2 cert=qUVQ0srL1JI/vO6V6m/24anYXiJD3QP2HgzUKQtQ7GRqqUvs7P+tG43RtAqdhLOALP7DJQ iat-mode=1',
    'obfs4 37.218.245.14:38224 D9A82D2F9C2F65A18407B1D2B764F130847F8B5D cert=bjRaMrr1BRiAW8IE9U5z27fQaYgOhX1UCmOpg2pFpoMvo6ZgQMzLsaTzzQNTlm7hNcb+Sg iat-mode=0',
    'obfs4 85.31.186.98:443 011F2599C0E9B27EE74B353155E244813763C3E5 cert=ayq0XzCwhpdysn5o0EyDUbmSOx3X/oTEbzDMvczHOdBJKlvIdHHLJGkZARtT4dcBFArPPg iat-mode=0',
    'obfs4 85.31.186.26:443 91A6354697E6B02A386312F68D82CF86824D3606 cert=PBwr+S8JTVZo6MPdHnkTwXJPILWADLqfMGoVvhZClMq/Urndyd42BwX9YFJHZnBB3H0XCw iat-mode=0',
    'obfs4 209.148.46.65:443 74FAD13168806246602538555B5521A0383A1875 cert=ssH+9rP8dG2NLDN2XuFw63hIO/9MNNinLmxQDpVa+7kTOa9/m+tGWT1SmSYpQ9uTBGa6Hw iat-mode=0',
    'obfs4 193.11.166.194:27015 2D82C2E354D531A68469ADF7F878FA6060C6BACA cert=4TLQPJrTSaDffMK7Nbao6LC7G9OW/NHkUwIdjLSS3KYf0Nv4/nQiiI8dY2TcsQx01NniOg iat-mode=0',
  ],
  snowflake: [
    'snowflake 192.0.2.3:80 2B280B23E1107BB62ABFC40DDCC8824814F80A72 ' +
      'fingerprint=2B280B23E1107BB62ABFC40DDCC8824814F80A72 ' +
      SNOWFLAKE_BROKER,
    'snowflake 192.0.2.4:80 8838024498816A039FCBBAB14E6F40A0843051FA ' +
      'fingerprint=8838024498816A039FCBBAB14E6F40A0843051FA ' +
      SNOWFLAKE_BROKER,
  ],
  meek_lite: [
    'meek_lite 192.0.2.20:80 url=https://1603026938.rsc.cdn77.org front=www.phpmyadmin.net utls=HelloRandomizedALPN',
  ],
  webtunnel: [],
};
