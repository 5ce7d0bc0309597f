// Tokens produced by the real livekit-api Python package (1.2.2, PyJWT 2.15.1) and, for the
// hostile ones, by hand-crafting JWS segments in Python with a correct HMAC where noted.
// Regenerate with the scripts at the bottom of this file (python3 -m venv /tmp/venv-tok &&
// /tmp/venv-tok/bin/pip install livekit-api). The livekit-api tokens were issued on
// 2026-11-27 with a 3650-day TTL: nbf 1795780621, exp 2111140621 (2036-11-24).

enum Fixtures {
    static let apiKey = "APIfixtureKey"
    static let secret = "fixture-secret-0123456789abcdefghijklmnopqrstuvwxyz"
    static let devKey = "devkey"
    static let devSecret = "secret"

    static let viewer = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJuYW1lIjoiQWxpY2UgRXhhbXBsZSIsIm1ldGFkYXRhIjoie1wicm9sZVwiOlwidmlld2VyXCJ9IiwidmlkZW8iOnsicm9vbUpvaW4iOnRydWUsInJvb20iOiJyb29tLTEiLCJjYW5QdWJsaXNoIjpmYWxzZSwiY2FuU3Vic2NyaWJlIjp0cnVlLCJjYW5QdWJsaXNoRGF0YSI6dHJ1ZX0sImF0dHJpYnV0ZXMiOnsidGVhbSI6ImJsdWUiLCJsYW5nIjoiZGUifSwic3ViIjoiYWxpY2UiLCJpc3MiOiJBUElmaXh0dXJlS2V5IiwibmJmIjoxNzk1NzgwNjIxLCJleHAiOjIxMTExNDA2MjF9.ra_JhRbl8Dm6dbT7s8KVBzJy-cPQa-7qdI2njHevTXs"
    static let admin = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJraW5kIjoiYWdlbnQiLCJ2aWRlbyI6eyJyb29tQ3JlYXRlIjp0cnVlLCJyb29tTGlzdCI6dHJ1ZSwicm9vbVJlY29yZCI6dHJ1ZSwicm9vbUFkbWluIjp0cnVlLCJyb29tIjoicm9vbS0xIiwiY2FuUHVibGlzaCI6dHJ1ZSwiY2FuU3Vic2NyaWJlIjp0cnVlLCJjYW5QdWJsaXNoRGF0YSI6dHJ1ZSwiaW5ncmVzc0FkbWluIjp0cnVlLCJoaWRkZW4iOnRydWV9LCJzaXAiOnsiYWRtaW4iOnRydWUsImNhbGwiOnRydWV9LCJhZ2VudCI6eyJhZG1pbiI6dHJ1ZSwic2ltdWxhdGlvbkFkbWluIjpmYWxzZSwiZGF0YWJhc2VBZG1pbiI6ZmFsc2UsImRpc3BhdGNoQWRtaW4iOmZhbHNlfSwicm9vbVByZXNldCI6InByZXNldC1hIiwic3ViIjoiYWRtaW4tYm90IiwiaXNzIjoiQVBJZml4dHVyZUtleSIsIm5iZiI6MTc5NTc4MDYyMSwiZXhwIjoyMTExMTQwNjIxfQ.0S6VSY8ZNCk3eyrY_AA1y3ThdvS3YtLMOSuNzKt3bXA"
    static let sources = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJuYW1lIjoiQm9iIiwidmlkZW8iOnsicm9vbUpvaW4iOnRydWUsInJvb20iOiJyb29tLTIiLCJkZXN0aW5hdGlvblJvb20iOiJyb29tLTMiLCJjYW5QdWJsaXNoIjp0cnVlLCJjYW5TdWJzY3JpYmUiOmZhbHNlLCJjYW5QdWJsaXNoRGF0YSI6ZmFsc2UsImNhblB1Ymxpc2hTb3VyY2VzIjpbImNhbWVyYSIsIm1pY3JvcGhvbmUiLCJzY3JlZW5fc2hhcmUiLCJzY3JlZW5fc2hhcmVfYXVkaW8iXSwiY2FuVXBkYXRlT3duTWV0YWRhdGEiOnRydWUsInJlY29yZGVyIjp0cnVlLCJhZ2VudCI6dHJ1ZSwiY2FuTWFuYWdlQWdlbnRTZXNzaW9uIjp0cnVlLCJjYW5TdWJzY3JpYmVNZXRyaWNzIjp0cnVlfSwic2hhMjU2IjoiNDdERVFwajhIQlNhKy9USW1XKzVKQ2V1UWVSa201Tk1wSldaRzNoU3VGVT0iLCJyb29tQ29uZmlnIjp7Im5hbWUiOiJyb29tLTIiLCJlbXB0eVRpbWVvdXQiOjMwMCwibWF4UGFydGljaXBhbnRzIjo4LCJhZ2VudHMiOlt7ImFnZW50TmFtZSI6ImhlbHBlciIsIm1ldGFkYXRhIjoibSJ9XX0sInN1YiI6ImJvYiIsImlzcyI6IkFQSWZpeHR1cmVLZXkiLCJuYmYiOjE3OTU3ODA2MjEsImV4cCI6MjExMTE0MDYyMX0.1EI384qOs3qm1wXOpZ8uDuyFq_QHhONw2svhKkt-P1M"
    static let dev = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ2aWRlbyI6eyJyb29tSm9pbiI6dHJ1ZSwicm9vbSI6ImRldi1yb29tIiwiY2FuUHVibGlzaCI6dHJ1ZSwiY2FuU3Vic2NyaWJlIjp0cnVlLCJjYW5QdWJsaXNoRGF0YSI6dHJ1ZX0sInN1YiI6ImRldi11c2VyIiwiaXNzIjoiZGV2a2V5IiwibmJmIjoxNzk1NzgwNjIxLCJleHAiOjIxMTExNDA2MjF9.f-NvBo-pwjzEW-7XSxg_NnlrDtQuj6ihTSoK6HJNeB4"
    static let expired = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJBUElmaXh0dXJlS2V5Iiwic3ViIjoiY2Fyb2wiLCJ2aWRlbyI6eyJyb29tSm9pbiI6dHJ1ZSwicm9vbSI6InJvb20tMSJ9LCJuYmYiOjE2MDAwMDAwMDAsImV4cCI6MTYwMDAwMzYwMH0.TUfxWRlE6wB-9tlQpQB1MJ79WYLPZbKzQqw56ZrensA"
    static let notYetValid = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJBUElmaXh0dXJlS2V5Iiwic3ViIjoiY2Fyb2wiLCJ2aWRlbyI6eyJyb29tSm9pbiI6dHJ1ZSwicm9vbSI6InJvb20tMSJ9LCJuYmYiOjQxMDI0NDQ4MDAsImV4cCI6NDEwMjQ0ODQwMH0.y-vhbbpk9jMVJjE_5hPJ2K0TLp6SHJTFo9YauVUATo8"
    static let noExp = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJBUElmaXh0dXJlS2V5Iiwic3ViIjoiY2Fyb2wiLCJ2aWRlbyI6eyJyb29tSm9pbiI6dHJ1ZSwicm9vbSI6InJvb20tMSJ9LCJuYmYiOjE2MDAwMDAwMDB9.THs4fWkSSFd4v0q9IIlr17eSFZAKVbsQAB67RUuekdE"
    static let wrongSecret = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJBUElmaXh0dXJlS2V5Iiwic3ViIjoiY2Fyb2wiLCJ2aWRlbyI6eyJyb29tSm9pbiI6dHJ1ZSwicm9vbSI6InJvb20tMSJ9LCJuYmYiOjE2MDAwMDAwMDAsImV4cCI6NDEwMjQ0ODQwMH0.GY_0kiPDjsBcTBRoI1T3_KtOD5G4XPhC8yC00ODjeD0"
    static let unknownKey = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJBUEl1bmtub3duIiwic3ViIjoiY2Fyb2wiLCJ2aWRlbyI6eyJyb29tSm9pbiI6dHJ1ZSwicm9vbSI6InJvb20tMSJ9LCJuYmYiOjE2MDAwMDAwMDAsImV4cCI6NDEwMjQ0ODQwMH0.LRRT8nvgrJxhGMUqJq1WA_rivYpDPtJKHeOEinKkiQM"
    static let hs512 = "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJBUElmaXh0dXJlS2V5Iiwic3ViIjoiY2Fyb2wiLCJ2aWRlbyI6eyJyb29tSm9pbiI6dHJ1ZSwicm9vbSI6InJvb20tMSJ9LCJuYmYiOjE2MDAwMDAwMDAsImV4cCI6NDEwMjQ0ODQwMH0.EHmSZETU07ErMRBZ6CGBnPe8RjI-bFpCMtJjboIZk9cTDxxNDhrTZXjt35ROWhT3e4RZzKkhwyLutXd5zBJqoA"
    static let algNone = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJBUElmaXh0dXJlS2V5Iiwic3ViIjoiY2Fyb2wiLCJ2aWRlbyI6eyJyb29tSm9pbiI6dHJ1ZSwicm9vbSI6InJvb20tMSJ9LCJuYmYiOjE2MDAwMDAwMDAsImV4cCI6NDEwMjQ0ODQwMH0."
    static let noneHeaderValidMAC = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJBUElmaXh0dXJlS2V5Iiwic3ViIjoiY2Fyb2wiLCJ2aWRlbyI6eyJyb29tSm9pbiI6dHJ1ZSwicm9vbSI6InJvb20tMSJ9LCJuYmYiOjE2MDAwMDAwMDAsImV4cCI6NDEwMjQ0ODQwMH0.W7E7gp_Gg80YbMooSkMdlxhfD0twL-n6bIB2bBqgwFw"
    static let hs512HeaderValidMAC = "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJBUElmaXh0dXJlS2V5Iiwic3ViIjoiY2Fyb2wiLCJ2aWRlbyI6eyJyb29tSm9pbiI6dHJ1ZSwicm9vbSI6InJvb20tMSJ9LCJuYmYiOjE2MDAwMDAwMDAsImV4cCI6NDEwMjQ0ODQwMH0.4K5xdD9zLmDnzNqJoUjA3v43PiHNZRqElRfwnPXODug"
    static let noAlgHeader = "eyJ0eXAiOiJKV1QifQ.eyJpc3MiOiJBUElmaXh0dXJlS2V5Iiwic3ViIjoiY2Fyb2wiLCJ2aWRlbyI6eyJyb29tSm9pbiI6dHJ1ZSwicm9vbSI6InJvb20tMSJ9LCJuYmYiOjE2MDAwMDAwMDAsImV4cCI6NDEwMjQ0ODQwMH0.I96S68t5UegeYKyTLPv13BFWsTqIqFNxtHmZ5RgpOrg"
    static let critHeader = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImNyaXQiOlsiZXhwIl19.eyJpc3MiOiJBUElmaXh0dXJlS2V5Iiwic3ViIjoiY2Fyb2wiLCJ2aWRlbyI6eyJyb29tSm9pbiI6dHJ1ZSwicm9vbSI6InJvb20tMSJ9LCJuYmYiOjE2MDAwMDAwMDAsImV4cCI6NDEwMjQ0ODQwMH0.JbyGCMwUhS2mGuRygfYqYbY4Dvs07kwvfVej1__LXI0"
    static let headerArray = "WyJIUzI1NiJd.eyJpc3MiOiJBUElmaXh0dXJlS2V5Iiwic3ViIjoiY2Fyb2wiLCJ2aWRlbyI6eyJyb29tSm9pbiI6dHJ1ZSwicm9vbSI6InJvb20tMSJ9LCJuYmYiOjE2MDAwMDAwMDAsImV4cCI6NDEwMjQ0ODQwMH0.xs5RGOBX2Q9NS5TIj75XQlyv1hniaB8T5NZPmPl-RF4"
    static let payloadArray = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.WzEsMl0.20z4HRQ5G0NGdCjApv98EHDPuTUhSio_1pFYnMGxi-Q"
    static let payloadString = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.ImNsYWltcyI._H7XkOwWOLgZcHqrT7KxMRNHZaCTYh4euCwZ0q6pwBs"
    static let payloadNumber = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.NDI.al1MYDIDltBRkB8HK1JRH8pcHZW5zUTpzsronqHywh8"
    static let payloadNull = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.bnVsbA.ew2SAtJu5RRskJLa4shVFxQ-NnsZOLJPWqwBAisQqbk"
    static let payloadNotJSON = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e25vdCBqc29u.cp5T4jIY6Jc94-cch9TWsTzXd72k17xq4mNyhX8dhto"
    static let canPublishString = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJBUElmaXh0dXJlS2V5Iiwic3ViIjoiY2Fyb2wiLCJ2aWRlbyI6eyJyb29tSm9pbiI6dHJ1ZSwicm9vbSI6InIiLCJjYW5QdWJsaXNoIjoieWVzIn0sIm5iZiI6MTYwMDAwMDAwMCwiZXhwIjo0MTAyNDQ4NDAwfQ.UnRaRGMT0rUWevFx6aqysUlT2TQ3S3Ees2YXE5rJBZ8"
    static let expString = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJBUElmaXh0dXJlS2V5Iiwic3ViIjoiY2Fyb2wiLCJ2aWRlbyI6eyJyb29tSm9pbiI6dHJ1ZSwicm9vbSI6InJvb20tMSJ9LCJuYmYiOjE2MDAwMDAwMDAsImV4cCI6IjQxMDI0NDg0MDAifQ.Q9x3HBQptWRq8fvdRuf9AU1mO06WC0ARb5rH9QcnWhQ"
    static let issNumber = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiA3LCAic3ViIjogImNhcm9sIiwgInZpZGVvIjogeyJyb29tSm9pbiI6IHRydWUsICJyb29tIjogInJvb20tMSJ9LCAibmJmIjogMTYwMDAwMDAwMCwgImV4cCI6IDQxMDI0NDg0MDB9.EQki_x1mEBD6HDlBl_gOtAb84ZYyzmgu4L7FY-DIW_o"
    static let noIss = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjYXJvbCIsInZpZGVvIjp7InJvb21Kb2luIjp0cnVlLCJyb29tIjoicm9vbS0xIn0sIm5iZiI6MTYwMDAwMDAwMCwiZXhwIjo0MTAyNDQ4NDAwfQ.sDAJaEhnf3D_roh4Y1KrI2JJqrWiCdi3AuJF_mxrZ1o"
    static let attributesNotStrings = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJBUElmaXh0dXJlS2V5Iiwic3ViIjoiY2Fyb2wiLCJ2aWRlbyI6eyJyb29tSm9pbiI6dHJ1ZSwicm9vbSI6InJvb20tMSJ9LCJuYmYiOjE2MDAwMDAwMDAsImV4cCI6NDEwMjQ0ODQwMCwiYXR0cmlidXRlcyI6eyJuIjoxfX0.dShA1XLow9lRMV80WNkPtCUv0-OR2iYdjj5ebJePK5U"
    static let deepRoomConfig = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJBUElmaXh0dXJlS2V5Iiwic3ViIjoiY2Fyb2wiLCJ2aWRlbyI6eyJyb29tSm9pbiI6dHJ1ZSwicm9vbSI6InJvb20tMSJ9LCJuYmYiOjE2MDAwMDAwMDAsImV4cCI6NDEwMjQ0ODQwMCwicm9vbUNvbmZpZyI6eyJ4IjpbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXX19.b3hypVG550PhdjZ3L51GYkit-ayNCcYEVoD8oi3IzzM"
    static let unknownClaims = "eyJhbGciOiJIUzI1NiIsImtpZCI6IndoYXRldmVyIiwidHlwIjoiSldUIn0.eyJpc3MiOiJBUElmaXh0dXJlS2V5Iiwic3ViIjoiY2Fyb2wiLCJ2aWRlbyI6eyJyb29tSm9pbiI6dHJ1ZSwicm9vbSI6InJvb20tMSIsImZ1dHVyZUZsYWciOnsiYSI6MX19LCJuYmYiOjE2MDAwMDAwMDAsImV4cCI6NDEwMjQ0ODQwMCwiaWF0IjoxNjAwMDAwMDAwLCJhdWQiOlsiYSIsImIiXSwieCI6bnVsbCwieSI6WzEseyJ6IjoyLjV9XSwic2lwIjp7ImFkbWluIjp0cnVlfX0.YkH5ghVomRyRfDA6YRUhK3YQQKCsK_uOootVkumqJRs"
    static let jtiIdentity = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJBUElmaXh0dXJlS2V5Iiwic3ViIjoiIiwidmlkZW8iOnsicm9vbUpvaW4iOnRydWUsInJvb20iOiJyb29tLTEifSwibmJmIjoxNjAwMDAwMDAwLCJleHAiOjQxMDI0NDg0MDAsImp0aSI6ImlkZW50aXR5LWZyb20tanRpIn0.pu4iNnort9WwIXqFxkJ0DrmuKo0ILIVvJO05CdsgBjg"
}

/* gen.py (livekit-api tokens)
# Generates the LiveKit fixture tokens embedded in LiveKitFixtureTokenTests.swift.
import base64, json, datetime
from datetime import timedelta
import jwt
from livekit import api
from livekit.protocol.room import RoomConfiguration
from livekit.protocol.agent_dispatch import RoomAgentDispatch

KEY = "APIfixtureKey"
SECRET = "fixture-secret-0123456789abcdefghijklmnopqrstuvwxyz"
TTL = timedelta(days=3650)

def show(name, tok):
    print(f"{name} = {tok}")

# 1. viewer: roomJoin + room + canPublish false, metadata, attributes, name
show("viewer", api.AccessToken(KEY, SECRET).with_ttl(TTL)
     .with_identity("alice").with_name("Alice Example")
     .with_metadata('{"role":"viewer"}')
     .with_attributes({"team": "blue", "lang": "de"})
     .with_grants(api.VideoGrants(room_join=True, room="room-1", can_publish=False))
     .to_jwt())

# 2. admin: roomAdmin, roomCreate, roomList, roomRecord, ingressAdmin, hidden, kind, other grant objects
show("admin", api.AccessToken(KEY, SECRET).with_ttl(TTL)
     .with_identity("admin-bot").with_kind("agent")
     .with_grants(api.VideoGrants(room_admin=True, room_create=True, room_list=True, room_record=True,
                                  ingress_admin=True, hidden=True, room="room-1"))
     .with_sip_grants(api.SIPGrants(admin=True, call=True))
     .with_agent_grants(api.AgentGrants(admin=True))
     .with_room_preset("preset-a")
     .to_jwt())

# 3. publisher with sources and other optional flags, sha256, room config
show("sources", api.AccessToken(KEY, SECRET).with_ttl(TTL)
     .with_identity("bob").with_name("Bob")
     .with_sha256("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
     .with_grants(api.VideoGrants(room_join=True, room="room-2",
                                  can_publish_sources=["camera", "microphone", "screen_share", "screen_share_audio"],
                                  can_publish_data=False, can_subscribe=False,
                                  can_update_own_metadata=True, can_subscribe_metrics=True,
                                  recorder=True, agent=True, destination_room="room-3",
                                  can_manage_agent_session=True))
     .with_room_config(RoomConfiguration(name="room-2", empty_timeout=300, max_participants=8,
                                         agents=[RoomAgentDispatch(agent_name="helper", metadata="m")]))
     .to_jwt())

# 4. LiveKit dev-mode credentials (short secret)
show("dev", api.AccessToken("devkey", "secret").with_ttl(TTL)
     .with_identity("dev-user")
     .with_grants(api.VideoGrants(room_join=True, room="dev-room"))
     .to_jwt())

# 5. expired / not yet valid, explicit times, same claim shape
base = {"iss": KEY, "sub": "carol", "video": {"roomJoin": True, "room": "room-1"}}
show("expired", jwt.encode({**base, "nbf": 1600000000, "exp": 1600003600}, SECRET, algorithm="HS256"))
show("notYetValid", jwt.encode({**base, "nbf": 4102444800, "exp": 4102448400}, SECRET, algorithm="HS256"))
show("noExp", jwt.encode({**base, "nbf": 1600000000}, SECRET, algorithm="HS256"))
far = {**base, "nbf": 1600000000, "exp": 4102448400}
show("wrongSecret", jwt.encode(far, "another-secret-0123456789abcdefghijklmnopqrstuvwxyz", algorithm="HS256"))
show("unknownKey", jwt.encode({**far, "iss": "APIunknown"}, SECRET, algorithm="HS256"))
show("hs512", jwt.encode(far, SECRET, algorithm="HS512"))
show("algNone", jwt.encode(far, None, algorithm="none"))

*/

/* gen2.py (hand-crafted hostile tokens)
# Hand-crafted hostile tokens, all signed correctly with the fixture secret unless noted.
import base64, json, hmac, hashlib
import jwt, sys
sys.setrecursionlimit(20000)
from jwt import api_jws

KEY = "APIfixtureKey"
SECRET = "fixture-secret-0123456789abcdefghijklmnopqrstuvwxyz"
far = {"iss": KEY, "sub": "carol", "video": {"roomJoin": True, "room": "room-1"}, "nbf": 1600000000, "exp": 4102448400}

def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def craft(header, payload_bytes, secret=SECRET):
    si = b64(json.dumps(header, separators=(",", ":")).encode()) + "." + b64(payload_bytes)
    sig = hmac.new(secret.encode(), si.encode(), hashlib.sha256).digest()
    return si + "." + b64(sig)
def show(name, tok): print(f"{name} = {tok}")

P = json.dumps(far, separators=(",", ":")).encode()
# header lies about the algorithm, signature is a valid HS256 MAC
show("noneHeaderValidMAC", craft({"alg": "none", "typ": "JWT"}, P))
show("hs512HeaderValidMAC", craft({"alg": "HS512", "typ": "JWT"}, P))
show("noAlgHeader", craft({"typ": "JWT"}, P))
show("critHeader", craft({"alg": "HS256", "typ": "JWT", "crit": ["exp"]}, P))
show("headerArray", craft(["HS256"], P))
# payloads that are valid JSON but not objects
show("payloadArray", craft({"alg": "HS256", "typ": "JWT"}, b"[1,2]"))
show("payloadString", craft({"alg": "HS256", "typ": "JWT"}, b'"claims"'))
show("payloadNumber", craft({"alg": "HS256", "typ": "JWT"}, b"42"))
show("payloadNull", craft({"alg": "HS256", "typ": "JWT"}, b"null"))
show("payloadNotJSON", craft({"alg": "HS256", "typ": "JWT"}, b"{not json"))
# wrong claim types
show("canPublishString", jwt.encode({**far, "video": {"roomJoin": True, "room": "r", "canPublish": "yes"}}, SECRET, algorithm="HS256"))
show("expString", jwt.encode({**far, "exp": "4102448400"}, SECRET, algorithm="HS256"))
show("issNumber", craft({"alg": "HS256", "typ": "JWT"}, json.dumps({**far, "iss": 7}).encode()))
show("noIss", jwt.encode({k: v for k, v in far.items() if k != "iss"}, SECRET, algorithm="HS256"))
show("attributesNotStrings", jwt.encode({**far, "attributes": {"n": 1}}, SECRET, algorithm="HS256"))
# deeply nested roomConfig (beyond JSON parser depth limits, still < 8 KiB)
nested = []
for _ in range(1500): nested = [nested]
show("deepRoomConfig", craft({"alg": "HS256", "typ": "JWT"}, json.dumps({**far, "roomConfig": {"x": nested}}, separators=(",", ":")).encode()))
# unknown claims of every JSON type, plus iat/aud, kid header
show("unknownClaims", jwt.encode({**far, "iat": 1600000000, "aud": ["a", "b"], "x": None, "y": [1, {"z": 2.5}], "sip": {"admin": True}, "video": {"roomJoin": True, "room": "room-1", "futureFlag": {"a": 1}}}, SECRET, algorithm="HS256", headers={"kid": "whatever"}))
# sub empty -> identity falls back to jti (LiveKit's ParseAPIToken)
show("jtiIdentity", jwt.encode({**far, "sub": "", "jti": "identity-from-jti"}, SECRET, algorithm="HS256"))

*/
