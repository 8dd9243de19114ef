-- wrk script for bench/campaigns.sh: POSTs the discover server function with a rotating set of
-- queries (exact words, typos, Chinese), the way the search box does. Run from bench/.
dofile("wrk-report.lua")

local queries = {
  "rust", "pyhton data", "watercolor", "machin lerning", "statistcs course", "机器学习",
  "摄影", "bread bakng", "kubernets", "public speking", "数据分析 入门", "typograhy book",
}
local i = 0

request = function()
  i = i + 1
  local q = queries[(i % #queries) + 1]
  local body = "q=" .. q:gsub("[^%w]", function(c) return string.format("%%%02X", string.byte(c)) end)
  return wrk.format("POST", "/api/discover", { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end
