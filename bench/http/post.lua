-- wrk script: POST reports with rotating markings (every level, national, all members, lists),
-- so that readers of another nation see some and not others.
local token = os.getenv("TOKEN")
local markings = {
  '{"level":"NP","releasable_to":["AES"]}', '{"level":"DR","releasable_to":["AES"]}',
  '{"level":"DR","releasable_to":["BFA"]}', '{"level":"C","releasable_to":["AES"]}',
  '{"level":"DR","releasable_to":[]}',      '{"level":"S","releasable_to":[]}',
}
local n = 0
request = function()
  n = n + 1
  local body = string.format(
    '{"kind":"spot_report","title":"bench report %d","body":"load test","location":{"lat":%f,"lon":%f},"marking":%s}',
    n, 14 + (n % 300) / 100, 0.5 + (n % 200) / 100, markings[(n % #markings) + 1])
  return wrk.format("POST", "/api/v1/reports",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
